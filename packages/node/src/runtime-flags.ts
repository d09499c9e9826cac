// V8 flags an LB node process runs with unless NODE_OPTIONS already sets them. Every way of
// starting a node passes them the same way (NODE_OPTIONS): the local launcher (here), the
// container image (deploy/Dockerfile `ENV`) and the systemd unit (`Environment=`), so an
// operator overrides any of them by setting the flag in NODE_OPTIONS.
//
// --max-semi-space-size=8: V8 sizes the young generation from the machine's memory (64 MB
// semi-spaces on these 24 GiB machines) and grows it in an allocation burst such as the
// initial read of 10 000 backends; it stays grown afterwards. Capped at 8 MB, a node with
// 10 000 backends grew 4.8 KB per backend over an empty node instead of 9.4, and CPU per
// proxied request did not change beyond the noise (docs/benchmarks.md, "Scale").

export const NODE_V8_DEFAULTS: readonly string[] = ['--max-semi-space-size=8'];

/** `current` NODE_OPTIONS with each default put first unless `current` sets that flag. */
export function nodeOptionsWithDefaults(current: string | undefined): string {
  const given = current?.trim() ?? '';
  const missing = NODE_V8_DEFAULTS.filter((flag) => {
    const name = flag.split('=')[0] as string;
    return !given.split(/\s+/).some((word) => word === name || word.startsWith(`${name}=`));
  });
  return [...missing, given].filter((s) => s.length > 0).join(' ');
}

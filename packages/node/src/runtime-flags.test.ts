import { describe, expect, it } from 'vitest';
import { NODE_V8_DEFAULTS, nodeOptionsWithDefaults } from './runtime-flags.js';

describe('nodeOptionsWithDefaults', () => {
  it('addsTheDefaultsToEmptyOrMissingOptions', () => {
    expect(nodeOptionsWithDefaults(undefined)).toBe(NODE_V8_DEFAULTS.join(' '));
    expect(nodeOptionsWithDefaults('  ')).toBe(NODE_V8_DEFAULTS.join(' '));
  });

  it('putsTheDefaultsBeforeTheOperatorsOwnFlags', () => {
    expect(nodeOptionsWithDefaults('--cpu-prof --enable-source-maps')).toBe(
      '--max-semi-space-size=8 --cpu-prof --enable-source-maps',
    );
  });

  it('leavesAFlagTheOperatorSetAlone', () => {
    expect(nodeOptionsWithDefaults('--max-semi-space-size=32')).toBe('--max-semi-space-size=32');
    expect(nodeOptionsWithDefaults('--cpu-prof --max-semi-space-size=16')).toBe(
      '--cpu-prof --max-semi-space-size=16',
    );
  });

  it('doesNotMistakeAFlagWithALongerNameForTheDefault', () => {
    expect(nodeOptionsWithDefaults('--max-semi-space-size-x=1')).toBe(
      '--max-semi-space-size=8 --max-semi-space-size-x=1',
    );
  });
});

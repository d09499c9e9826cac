// The credential and ACL shapes shared by the session (session/session.ts authenticates with
// ZkAuth and applies ZkAcl lists from an AclPolicy on create) and the ACL plan
// (security/acl.ts builds them). Types only, importing nothing: both sides take them from
// here, so neither has to import the other.

/** A credential added to every client a session builds (addAuthInfo). */
export interface ZkAuth {
  /** `digest` for ZooKeeper's user:password scheme. */
  readonly scheme: string;
  /** For `digest`: `user:password`. */
  readonly credentials: string | Buffer;
}

export interface ZkAcl {
  /** Bit set of PERMS. */
  readonly perms: number;
  /** `world`, `digest`, `auth`, `ip`, … */
  readonly scheme: string;
  /** `anyone` for world, `user:base64sha1` for digest. */
  readonly id: string;
}

/** How a session chooses the ACL of a znode it creates. */
export interface AclPolicy {
  /**
   * `cluster`: holds the cluster credential (nodes, the CLI). `backend`: holds only the
   * backend-registration credential (a self-registering backend).
   */
  readonly kind: 'cluster' | 'backend';
  /** The digest id this session authenticates as. */
  readonly ownId: string;
  /** The ACL for a new znode at `path`; undefined → the client library's default (open). */
  aclFor(path: string): readonly ZkAcl[] | undefined;
}

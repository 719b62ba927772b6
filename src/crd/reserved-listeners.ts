// The listeners Keelson adds itself, apart from the spec rules (which load
// croner): workflow code needs them without evaluating the rules per workflow.

/** The listener of a secured cluster's own traffic: replication, and Keelson's admin connections (mutual TLS). */
export const replicationListener = { name: 'replication', port: 9091 } as const;
/** The TLS controller listener of a cluster that was upgraded from plaintext (see SecurityStage). */
export const tlsControllerListener = { name: 'controller-tls', port: 9090 } as const;

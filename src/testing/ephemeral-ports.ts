/**
 * Every port of a sandbox set to 0, so the system picks free ones: sandboxes started by tests and
 * benchmarks side by side never collide. Spread it into a child's environment or the settings' env.
 */
export const EPHEMERAL_PORTS = {
  EGRESS_EDGE_PORT: '0',
  EGRESS_DKS_PORT: '0',
  EGRESS_NIFI_PORT: '0',
  EGRESS_METRICS_PORT: '0',
  EGRESS_DASHBOARD_PORT: '0',
} as const;

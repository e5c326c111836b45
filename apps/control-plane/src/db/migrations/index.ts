import { InitialSchema1763900000000 } from './1763900000000-initial-schema';
import { Gateway1763900100000 } from './1763900100000-gateway';
import { Scheduling1763900200000 } from './1763900200000-scheduling';
import { Rollout1763900300000 } from './1763900300000-rollout';
import { NodeDrained1763900400000 } from './1763900400000-node-drained';
import { NodeCertificateRenewal1763900500000 } from './1763900500000-node-certificate-renewal';

/** Every migration, oldest first. Later modules append their own migration classes here. */
export const MIGRATIONS = [
  InitialSchema1763900000000,
  Gateway1763900100000,
  Scheduling1763900200000,
  Rollout1763900300000,
  NodeDrained1763900400000,
  NodeCertificateRenewal1763900500000,
];

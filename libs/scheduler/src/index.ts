export * from './types';
export * from './feasibility';
export * from './rank';
export * from './place';
export * from './instances';
export * from './rollout';
export * from './reconcile';

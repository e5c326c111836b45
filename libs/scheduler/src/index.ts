export * from './types';
export * from './feasibility';
export * from './rank';
export * from './place';

import { InitialSchema1763900000000 } from './1763900000000-initial-schema';

/** Every migration, oldest first. Later modules append their own migration classes here. */
export const MIGRATIONS = [InitialSchema1763900000000];

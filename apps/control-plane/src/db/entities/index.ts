import { ApiTokenEntity } from './api-token.entity';
import { DeploymentEntity } from './deployment.entity';
import { EventEntity } from './event.entity';
import { InstanceEntity } from './instance.entity';
import { JoinTokenEntity } from './join-token.entity';
import { NodeEntity } from './node.entity';
import { RegistryCredentialEntity } from './registry-credential.entity';
import { RevisionEntity } from './revision.entity';
import { TenantEntity } from './tenant.entity';

export * from './api-token.entity';
export * from './deployment.entity';
export * from './event.entity';
export * from './instance.entity';
export * from './join-token.entity';
export * from './node.entity';
export * from './registry-credential.entity';
export * from './revision.entity';
export * from './tenant.entity';

/** Every entity of the data model; later modules append theirs here. */
export const ENTITIES = [
  TenantEntity,
  ApiTokenEntity,
  NodeEntity,
  JoinTokenEntity,
  DeploymentEntity,
  RevisionEntity,
  InstanceEntity,
  EventEntity,
  RegistryCredentialEntity,
];

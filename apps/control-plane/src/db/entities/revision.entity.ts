import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { DeploymentSpec } from '@oja/contracts';

/** An immutable spec version of a deployment; numbers start at 1 and never repeat. */
@Entity('revisions')
export class RevisionEntity {
  @PrimaryColumn('uuid', { name: 'deployment_id' }) deploymentId!: string;
  @PrimaryColumn('integer') number!: number;
  /** The full spec with defaults filled in (its replicas is the value at creation; the deployment row's wins). */
  @Column('jsonb') spec!: DeploymentSpec;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

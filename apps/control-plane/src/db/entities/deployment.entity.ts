import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { RolloutPhase } from '@oja/contracts';

/** Deployment status as stored; "paused" is a phase shown when paused is true. */
export type DeploymentStatusValue = RolloutPhase;

@Entity('deployments')
export class DeploymentEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text') name!: string;
  /** Replica count lives here, not in revisions: scaling never makes a revision. */
  @Column('integer') replicas!: number;
  @Column('integer', { name: 'current_revision' }) currentRevision!: number;
  /** Bumped on every change of desired state (bigint, read as string). */
  @Column('bigint') generation!: string;
  @Column('boolean') paused!: boolean;
  @Column('text') status!: DeploymentStatusValue;
  @Column('text', { name: 'status_reason', nullable: true }) statusReason!: string | null;
  /** Last time the rollout made progress (for progressDeadlineSeconds). */
  @Column('timestamptz', { name: 'progress_at', nullable: true }) progressAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

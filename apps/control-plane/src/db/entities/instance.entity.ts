import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { InstanceState } from '@oja/contracts';

export type DesiredState = 'running' | 'stopped';

@Entity('instances')
export class InstanceEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'deployment_id' }) deploymentId!: string;
  @Column('integer') revision!: number;
  @Column('uuid', { name: 'node_id', nullable: true }) nodeId!: string | null;
  @Column('text') desired!: DesiredState;
  @Column('text') observed!: InstanceState;
  @Column('text', { nullable: true }) reason!: string | null;
  @Column('text', { name: 'container_id', nullable: true }) containerId!: string | null;
  @Column('text', { name: 'overlay_ip', nullable: true }) overlayIp!: string | null;
  @Column('integer') restarts!: number;
  @Column('integer', { name: 'last_exit_code', nullable: true }) lastExitCode!: number | null;
  /** Latest health-check results as reported by the agent. */
  @Column('jsonb', { name: 'health_checks', nullable: true }) healthChecks!: unknown;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  /** When `observed` last changed: "available" means ready for minReadySeconds since this time. */
  @Column('timestamptz', { name: 'observed_at' }) observedAt!: Date;
}

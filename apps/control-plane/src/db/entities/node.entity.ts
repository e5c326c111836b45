import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { NodeStatus } from '@oja/contracts';

@Entity('nodes')
export class NodeEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') name!: string;
  @Column('text', { name: 'underlay_address' }) underlayAddress!: string;
  /** The node's /24 of the overlay, e.g. 10.42.3.0/24 (unique). */
  @Column('text', { name: 'overlay_subnet', nullable: true }) overlaySubnet!: string | null;
  @Column('text', { name: 'wg_public_key', nullable: true }) wgPublicKey!: string | null;
  @Column('integer', { name: 'wg_listen_port', nullable: true }) wgListenPort!: number | null;
  @Column('text', { name: 'cert_fingerprint', nullable: true }) certFingerprint!: string | null;
  @Column('double precision', { name: 'capacity_cpu' }) capacityCpu!: number;
  @Column('integer', { name: 'capacity_memory_mb' }) capacityMemoryMb!: number;
  @Column('jsonb') labels!: Record<string, string>;
  @Column('uuid', { name: 'dedicated_tenant_id', nullable: true }) dedicatedTenantId!: string | null;
  @Column('text') status!: NodeStatus;
  /** Drained by an operator until undrained: the node is `draining` whenever it is up. */
  @Column('boolean') drained!: boolean;
  @Column('timestamptz', { name: 'last_heartbeat_at', nullable: true }) lastHeartbeatAt!: Date | null;
  @Column('text', { name: 'agent_version', nullable: true }) agentVersion!: string | null;
  /** Desired-state generation: bumped whenever this node's desired instance set changes (bigint, read as string). */
  @Column('bigint') generation!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An event; names are copied in so events outlive deleted deployments and nodes. */
@Entity('events')
export class EventEntity {
  /** bigserial, read as string. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column('uuid', { name: 'tenant_id', nullable: true }) tenantId!: string | null;
  @Column('uuid', { name: 'deployment_id', nullable: true }) deploymentId!: string | null;
  @Column('text', { name: 'deployment_name', nullable: true }) deploymentName!: string | null;
  @Column('uuid', { name: 'node_id', nullable: true }) nodeId!: string | null;
  @Column('text', { name: 'node_name', nullable: true }) nodeName!: string | null;
  @Column('uuid', { name: 'instance_id', nullable: true }) instanceId!: string | null;
  @Column('text') type!: string;
  @Column('text') message!: string;
  @Column('timestamptz') at!: Date;
}

import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('tenants')
export class TenantEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') name!: string;
  @Column('boolean') dedicated!: boolean;
  @Column('integer', { name: 'quota_instances' }) quotaInstances!: number;
  @Column('double precision', { name: 'quota_cpu' }) quotaCpu!: number;
  @Column('integer', { name: 'quota_memory_mb' }) quotaMemoryMb!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

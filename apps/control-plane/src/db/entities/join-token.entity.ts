import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('join_tokens')
export class JoinTokenEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') hash!: string;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt!: Date;
  @Column('timestamptz', { name: 'used_at', nullable: true }) usedAt!: Date | null;
  /** The node that joined with this token. */
  @Column('uuid', { name: 'node_id', nullable: true }) nodeId!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The whole data model of DESIGN.md, as explicit SQL. */
export class InitialSchema1763900000000 implements MigrationInterface {
  name = 'InitialSchema1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        dedicated boolean NOT NULL DEFAULT false,
        quota_instances integer NOT NULL,
        quota_cpu double precision NOT NULL,
        quota_memory_mb integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE api_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        hash text NOT NULL UNIQUE,
        prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz
      );
      CREATE INDEX api_tokens_tenant_id_idx ON api_tokens (tenant_id);

      CREATE TABLE nodes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        underlay_address text NOT NULL,
        overlay_subnet text UNIQUE,
        wg_public_key text,
        wg_listen_port integer,
        cert_fingerprint text,
        capacity_cpu double precision NOT NULL DEFAULT 0,
        capacity_memory_mb integer NOT NULL DEFAULT 0,
        labels jsonb NOT NULL DEFAULT '{}'::jsonb,
        dedicated_tenant_id uuid REFERENCES tenants(id) ON DELETE SET NULL,
        status text NOT NULL DEFAULT 'ready' CHECK (status IN ('ready', 'down', 'draining')),
        last_heartbeat_at timestamptz,
        agent_version text,
        generation bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE join_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        hash text NOT NULL UNIQUE,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        node_id uuid REFERENCES nodes(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE deployments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        replicas integer NOT NULL CHECK (replicas >= 0),
        current_revision integer NOT NULL,
        generation bigint NOT NULL DEFAULT 1,
        paused boolean NOT NULL DEFAULT false,
        status text NOT NULL DEFAULT 'progressing' CHECK (status IN ('progressing', 'complete', 'failed', 'paused')),
        status_reason text,
        progress_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, name)
      );

      CREATE TABLE revisions (
        deployment_id uuid NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
        number integer NOT NULL CHECK (number >= 1),
        spec jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (deployment_id, number)
      );

      CREATE TABLE instances (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        deployment_id uuid NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
        revision integer NOT NULL,
        node_id uuid REFERENCES nodes(id) ON DELETE SET NULL,
        desired text NOT NULL DEFAULT 'running' CHECK (desired IN ('running', 'stopped')),
        observed text NOT NULL DEFAULT 'pending'
          CHECK (observed IN ('pending', 'starting', 'running', 'healthy', 'unhealthy', 'failed', 'exited', 'lost')),
        reason text,
        container_id text,
        overlay_ip text,
        restarts integer NOT NULL DEFAULT 0,
        last_exit_code integer,
        health_checks jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        observed_at timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (deployment_id, revision) REFERENCES revisions (deployment_id, number)
      );
      CREATE INDEX instances_node_id_idx ON instances (node_id);
      CREATE INDEX instances_deployment_id_idx ON instances (deployment_id);

      CREATE TABLE events (
        id bigserial PRIMARY KEY,
        tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,
        deployment_id uuid REFERENCES deployments(id) ON DELETE SET NULL,
        deployment_name text,
        node_id uuid REFERENCES nodes(id) ON DELETE SET NULL,
        node_name text,
        instance_id uuid,
        type text NOT NULL,
        message text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX events_tenant_id_id_idx ON events (tenant_id, id);
      CREATE INDEX events_at_idx ON events (at);

      CREATE TABLE registry_credentials (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        server text NOT NULL,
        username text NOT NULL,
        secret bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, name)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE registry_credentials, events, instances, revisions, deployments, join_tokens, nodes, api_tokens, tenants`);
  }
}

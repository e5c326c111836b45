import { Injectable } from '@nestjs/common';
import type { RegistryCredentialRequest, RegistryCredentialView } from '@oja/contracts';
import { conflict, notFound } from '../api/problem';
import type { TenantContext } from '../auth/auth-context';
import { SecretBox } from '../crypto/secret-box';
import { Transactor } from '../db/db.module';
import { isUniqueViolation } from '../db/errors';
import { EventsService } from '../events/events.service';
import type { CredentialResolver } from '../gateway/credential-resolver';
import { toRegistryCredentialView } from './registry-credential.mapper';
import { RegistryCredentialRepository } from './registry-credential.repository';

/** A stored credential with its password decrypted: only for the desired state sent to an agent. */
export interface ResolvedRegistryCredential {
  server: string;
  username: string;
  password: string;
}

/** The ciphertext is bound to its tenant and name, so it cannot be replayed into another row. */
const secretContext = (tenantId: string, name: string) => `registry-credential:${tenantId}:${name}`;

@Injectable()
export class RegistryCredentialsService implements CredentialResolver {
  constructor(
    private readonly transactor: Transactor,
    private readonly credentials: RegistryCredentialRepository,
    private readonly box: SecretBox,
    private readonly events: EventsService,
  ) {}

  async create(tenant: TenantContext, req: RegistryCredentialRequest): Promise<RegistryCredentialView> {
    const secret = this.box.seal(req.password, secretContext(tenant.tenantId, req.name));
    try {
      return await this.transactor.run(async (tx) => {
        const row = await this.credentials.insert(tx, { tenantId: tenant.tenantId, name: req.name, server: req.server, username: req.username, secret });
        await this.events.record(
          { tenantId: tenant.tenantId, type: 'registry.added', message: `registry credential ${req.name} for ${req.server} added` },
          tx,
        );
        return toRegistryCredentialView(row);
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw conflict(`registry credential "${req.name}" already exists`, [{ path: 'name', message: 'already exists' }]);
      }
      throw err;
    }
  }

  async list(tenantId: string): Promise<RegistryCredentialView[]> {
    return (await this.credentials.list(tenantId)).map(toRegistryCredentialView);
  }

  async remove(tenantId: string, name: string): Promise<void> {
    await this.transactor.run(async (tx) => {
      const row = await this.credentials.delete(tx, tenantId, name);
      if (!row) throw notFound(`registry credential "${name}" not found`);
      await this.events.record({ tenantId, type: 'registry.removed', message: `registry credential ${name} for ${row.server} removed` }, tx);
    });
  }

  /** The decrypted credential `name` of the tenant, or null when it has none of that name. */
  async resolve(tenantId: string, name: string): Promise<ResolvedRegistryCredential | null> {
    const row = await this.credentials.find(tenantId, name);
    if (!row) return null;
    return { server: row.server, username: row.username, password: this.box.openString(row.secret, secretContext(tenantId, name)) };
  }
}

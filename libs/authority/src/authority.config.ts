import { IsNotEmpty, IsOptional, IsString, Matches } from 'class-validator';
import type { AuthorityCode } from '#contracts';
import { BaseAppConfig, ConfigError, IntVariable, loadConfig } from '#platform';

/** Every variable an authority service reads. */
export class AuthorityConfig extends BaseAppConfig {
  @Matches(/^[A-Za-z0-9._:-]{1,100}$/, { message: 'must name the signing key (letters, digits, . _ : -)' })
  SIGNING_KEY_ID: string;

  @IsString()
  @IsNotEmpty({ message: 'must hold the Ed25519 private key (base64 PKCS#8 DER or PEM)' })
  SIGNING_PRIVATE_KEY: string;

  /**
   * This authority's publishers' static credential (development; required unless its OIDC_ISSUER_<code> is set, and
   * refused in production, where publishers are the authority's OIDC clients), and the others' so they get a clear 403.
   */
  @IsOptional() @IsString() @IsNotEmpty() PUBLISHER_TOKEN_CN?: string;
  @IsOptional() @IsString() @IsNotEmpty() PUBLISHER_TOKEN_HK?: string;
  @IsOptional() @IsString() @IsNotEmpty() PUBLISHER_TOKEN_MO?: string;

  @IntVariable(1, 5000)
  OUTBOX_BATCH_SIZE: number = 500;

  @IntVariable(10, 60_000)
  OUTBOX_POLL_INTERVAL_MS: number = 200;

  @IntVariable(1000, 86_400_000)
  EXPIRY_CHECK_INTERVAL_MS: number = 60_000;

  /** Bulk requests may carry up to 10 000 recordations. */
  @Matches(/^\d+(kb|mb)$/, { message: 'must be a size such as 50mb' })
  HTTP_BULK_BODY_LIMIT: string = '50mb';
}

export const AUTHORITY_APP_DEFAULTS: Record<AuthorityCode, { app: string; PORT: string; DATABASE_SCHEMA: string; KAFKA_USERNAME: string }> = {
  CN: { app: 'mainland', PORT: '3001', DATABASE_SCHEMA: 'mainland', KAFKA_USERNAME: 'authority-cn' },
  HK: { app: 'hong-kong', PORT: '3002', DATABASE_SCHEMA: 'hong_kong', KAFKA_USERNAME: 'authority-hk' },
  MO: { app: 'macao', PORT: '3003', DATABASE_SCHEMA: 'macao', KAFKA_USERNAME: 'authority-mo' },
};

/**
 * Loads and checks the config of one authority's service: its publishers need a way in, their static credential
 * (development) or their authority's identity provider (OIDC_ISSUER_<code>; production accepts only that).
 */
export function loadAuthorityConfig(authority: AuthorityCode, env: NodeJS.ProcessEnv = process.env): AuthorityConfig {
  const { app: _app, ...defaults } = AUTHORITY_APP_DEFAULTS[authority];
  const config = loadConfig(AuthorityConfig, { ...defaults, ...env });
  const own = `PUBLISHER_TOKEN_${authority}` as const;
  if (!config[own] && !config[`OIDC_ISSUER_${authority}`])
    throw new ConfigError([{ variable: own, reason: `is not set (the credential this authority's publishers present; or set OIDC_ISSUER_${authority})` }]);
  return config;
}

import {
  ForbiddenException,
  Injectable,
  Logger,
  Module,
  SetMetadata,
  UnauthorizedException,
  createParamDecorator,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
} from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { AuthorityCode } from '#contracts';
import { CredentialStore, NO_CREDENTIAL, decideAccess, type Principal, type Role } from './credentials.js';

const ROLES_KEY = 'recordation-exchange:roles';
const PUBLIC_KEY = 'recordation-exchange:public';

/** The roles that may call a route (or every route of a controller). Routes without it are refused. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
/** A route anyone may call (health probes, the officers' web page shell). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** The authenticated principal of the request. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal | undefined => {
  return context.switchToHttp().getRequest<Request & { principal?: Principal }>().principal;
});

export const CREDENTIALS = Symbol('CREDENTIALS');
export const SERVICE_AUTHORITY = Symbol('SERVICE_AUTHORITY');

/**
 * Bearer authentication on every route (secure by default): 401 without or with a bad credential (a static development
 * credential, or an OIDC access token of a configured issuer), 403 with the wrong role, or a publisher of another
 * authority. Why a token was refused is logged, never answered.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly reflector: Reflector,
    private readonly credentials: CredentialStore,
    private readonly serviceAuthority: AuthorityCode | undefined,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const outcome = await this.credentials.verifyRequest(request);
    if (!('principal' in outcome) && outcome.reason === NO_CREDENTIAL) {
      throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message: 'a bearer credential is required' });
    }
    if (!('principal' in outcome)) {
      this.logger.warn({ reason: outcome.reason, path: request.path }, `bearer credential refused: ${outcome.reason}`);
      throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message: 'the credential is not valid' });
    }
    const principal = outcome.principal;
    request.principal = principal;

    const roles = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? [];
    const decision = decideAccess(principal, { roles, publisherAuthority: this.serviceAuthority });
    if (!decision.allowed) throw new ForbiddenException({ statusCode: 403, error: 'Forbidden', message: decision.reason });
    return true;
  }
}

/** Installs the guard for the whole app. `serviceAuthority` is set on an authority service. */
@Module({})
export class AuthModule {
  static forRoot(credentials: CredentialStore, serviceAuthority?: AuthorityCode): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      // The credentials, for what must authenticate before Nest's guard runs (large bodies).
      exports: [CredentialStore],
      providers: [
        // Also read by createHttpApp: the rate limiter keys requests by the credential they present.
        { provide: CredentialStore, useValue: credentials },
        {
          provide: APP_GUARD,
          useFactory: (reflector: Reflector) => new BearerAuthGuard(reflector, credentials, serviceAuthority),
          inject: [Reflector],
        },
      ],
    };
  }
}

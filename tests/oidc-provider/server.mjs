// A real OpenID provider for the sign-in tests: the `oidc-provider` package with
// its development login and consent pages (any password), a few accounts, and
// clients the tests configure the server with.
//
// Two clients misbehave on purpose, so the tests can show that the server checks
// what it must: their ID tokens are signed again with the provider's own key after
// the provider made them, with a foreign audience (`dialoghub-wrong-aud`) or an
// expiry in the past (`dialoghub-expired`).
//
// Prints one JSON line `{"issuer": "http://127.0.0.1:<port>"}` once it listens.
// PORT=0 (the default) picks a free port.

import Provider from 'oidc-provider';
import * as jose from 'jose';

const port = Number(process.env.PORT ?? 0);

// The accounts. `groups` is the claim the server maps to districts and roles.
const accounts = {
  'anna': { name: 'Anna Andersson', groups: ['dh-rinkeby-organizers', 'some-unrelated-group'] },
  'mo': { name: 'Mo Moderator', groups: ['dh-rinkeby-moderators'] },
  'kim': { name: 'Kim Kommun', groups: ['dh-admins'] },
  'nobody': { name: 'Nils Ingen', groups: ['library-staff'] },
};

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
const signingKey = await jose.importJWK(jwk, 'RS256');

const redirect = 'http://127.0.0.1/auth/oidc/callback';
const client = (id) => ({
  client_id: id,
  client_secret: 'test-secret-that-is-long-enough-0123456789',
  // A native client may redirect to the loopback address on any port (RFC 8252),
  // which is what a server on port 0 needs.
  application_type: 'native',
  redirect_uris: [redirect],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
});

const server = (await import('node:http')).createServer();
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [client('dialoghub'), client('dialoghub-wrong-aud'), client('dialoghub-expired')],
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  // Claims of the requested scopes go into the ID token, as Entra ID and Keycloak do.
  conformIdTokenClaims: false,
  scopes: ['openid', 'profile', 'groups'],
  claims: { openid: ['sub'], profile: ['name'], groups: ['groups'] },
  async findAccount(_ctx, sub) {
    const account = accounts[sub];
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...account }) };
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
});
provider.on('server_error', (_ctx, err) => console.error('server_error', err));

// The misbehaving clients: the token endpoint's ID token, signed again.
provider.use(async (ctx, next) => {
  await next();
  const clientId = ctx.oidc?.client?.clientId;
  if (ctx.path !== '/token' || !ctx.body?.id_token) return;
  if (clientId !== 'dialoghub-wrong-aud' && clientId !== 'dialoghub-expired') return;
  const claims = jose.decodeJwt(ctx.body.id_token);
  if (clientId === 'dialoghub-wrong-aud') claims.aud = 'another-service';
  if (clientId === 'dialoghub-expired') {
    const now = Math.floor(Date.now() / 1000);
    claims.iat = now - 7200;
    claims.exp = now - 3600;
  }
  ctx.body = {
    ...ctx.body,
    id_token: await new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid })
      .sign(signingKey),
  };
});

server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
// The test ends the provider by closing its standard input (or killing it).
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

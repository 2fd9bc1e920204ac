// A real OpenID provider for the sign-in tests: panva's certified `oidc-provider`, configured
// from a JSON file that tests/oidc_provider/provider.py writes.
//
//   node server.mjs CONFIG.json
//
// CONFIG: { issuer, port, jwks (the provider's private signing keys), cookieKeys,
//           clients (client metadata), accountsFile }
// The login form is the provider's own development interaction (any password); the login
// typed there is the account id, and its claims come from accountsFile ({ login: claims }),
// read at every sign-in so that each test can add the people it needs. `vot` is a claim of
// the `openid` scope so that it travels in the ID token, as NHS login's does; everything else
// (name, email) comes from userinfo. Prints "ready" once it listens.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: config.jwks,
  cookies: { keys: config.cookieKeys },
  claims: {
    openid: ['sub', 'vot'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
  },
  extraParams: ['vtr'],
  // Every client must send PKCE, not only public ones: a missing verifier fails the exchange.
  pkce: { required: () => true },
  enabledJWA: {
    idTokenSigningAlgValues: ['RS256', 'RS512', 'PS256', 'ES256'],
    clientAuthSigningAlgValues: ['RS256', 'RS512', 'PS256', 'ES256'],
  },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const claims = JSON.parse(readFileSync(config.accountsFile, 'utf8'))[id] ?? {};
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...claims };
      },
    };
  },
});

// The portal's tests reach the provider through their man in the middle, which keeps the
// Host header: URLs in discovery then name the issuer, not this port.
provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write('ready\n');
});

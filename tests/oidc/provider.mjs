// A real OpenID provider for the sign-in tests (node oidc-provider): one client, accounts with groups.
// Usage: node provider.mjs CONFIG.json   where CONFIG is
//   {"port": 0, "client": {"client_id", "client_secret", "redirect_uris": [...]},
//    "accounts": {"<login>": {"employee_id": "...", "groups": ["..."]}}}
// Prints one line "ready <issuer>" once it listens. The login pages are oidc-provider's own
// development ones (any password): the tests check our side of the protocol, not the provider's.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const server = createServer();
await new Promise((resolve) => server.listen(config.port || 0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    ...config.client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: { openid: ['sub'], profile: ['employee_id', 'groups'] },
  async findAccount(ctx, id) {
    const account = config.accounts[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
  cookies: { keys: ['only-for-the-tests'] },
  features: { devInteractions: { enabled: true } },
  // Groups and the staff number in the ID token too, as Microsoft Entra ID sends them.
  conformIdTokenClaims: false,
});
provider.proxy = false;
server.on('request', provider.callback());
console.log(`ready ${issuer}`);

#!/usr/bin/env python3
"""Writes the secret scanner's corpus: one true positive per rule, each a token made up
following the provider's documented format (prefix, alphabet, length) and set in a file of
the kind it leaks from, plus true negatives (look-alikes, placeholders, documented example
values, hashes, UUIDs, base64 blobs, public keys). Private keys are real keys made on the
spot by openssl, ssh-keygen and gpg. The values are random and belong to no account.

Run from this folder: python3 generate.py  (it rewrites positives/ and negatives/).
The formats are written from the providers' documentation, not from the rules' regexps."""
import base64, json, os, random, shutil, string, subprocess, tempfile, urllib.parse

R = random.Random(20261127)
UP, LO, DG = string.ascii_uppercase, string.ascii_lowercase, string.digits
AN = UP + LO + DG
HEX = "0123456789abcdef"
B64 = AN + "+/"
URL = AN + "-_"

def rs(alpha, n): return "".join(R.choice(alpha) for _ in range(n))
def uuid(): return "-".join(rs(HEX, n) for n in (8, 4, 4, 4, 12))
def b64(raw): return base64.b64encode(raw).decode()
def b64url(raw): return base64.urlsafe_b64encode(raw).decode().rstrip("=")
def rb(n): return bytes(R.getrandbits(8) for _ in range(n))
def pw(n=18): return rs(AN + "!#%^*-_+", n)

def run(*cmd, cwd=None):
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout

tmp = tempfile.mkdtemp()
run("openssl", "genrsa", "-traditional", "-out", f"{tmp}/rsa.pem", "2048")
rsa_pem = open(f"{tmp}/rsa.pem").read()
run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{tmp}/ec.pem")
ec_pem = open(f"{tmp}/ec.pem").read()
run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "deploy@ci", "-f", f"{tmp}/id_ed25519")
ssh_key = open(f"{tmp}/id_ed25519").read()
ssh_pub = open(f"{tmp}/id_ed25519.pub").read()
gh = f"{tmp}/gnupg"; os.mkdir(gh, 0o700)
run("gpg", "--homedir", gh, "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
    "--quick-gen-key", "Release Bot <release@acme-corp.io>", "ed25519", "sign", "never")
pgp_priv = run("gpg", "--homedir", gh, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--armor", "--export-secret-keys")
pgp_pub = run("gpg", "--homedir", gh, "--armor", "--export")
run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{tmp}/c.key", "-out", f"{tmp}/c.pem", "-days", "30", "-subj", "/CN=acme-corp.io")
cert_pem = open(f"{tmp}/c.pem").read()
run("openssl", "pkey", "-in", f"{tmp}/rsa.pem", "-pubout", "-out", f"{tmp}/rsa.pub")
rsa_pub = open(f"{tmp}/rsa.pub").read()
shutil.rmtree(tmp)

def pem_body(n):  # a PKCS#8-shaped body of n bytes, 64-column base64
    t = b64(b"\x30\x82" + rb(n))
    return "\n".join(t[i:i + 64] for i in range(0, len(t), 64))

def jwt():
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps({"sub": str(R.randrange(10**6, 10**7)), "name": "svc-billing", "iat": 1764201600}, separators=(",", ":")).encode())
    return f"{h}.{p}.{b64url(rb(32))}"

def sas_sig(): return urllib.parse.quote(b64(rb(32)), safe="")

pos = {
 "aws-access-key-id": ("deploy/.env", "AWS_REGION=eu-west-1\nAWS_ACCESS_KEY_ID=AKIA{}\n".format(rs(UP + "234567", 16))),
 "aws-secret-access-key": ("home/.aws/credentials", "[default]\nregion = us-east-1\naws_secret_access_key = {}\n".format(rs(AN + "+/", 40))),
 "aws-session-token": ("home/.aws/credentials", "[assumed]\naws_session_token = IQoJb3JpZ2luX2VjE{}\n".format(rs(B64, 340))),
 "aws-mws-key": ("config/marketplace.yaml", "mws:\n  seller_id: A1B2C3D4E5F6G7\n  auth_token: amzn.mws.{}\n".format(uuid())),
 "gcp-api-key": ("web/src/firebase.js", 'export const firebaseConfig = {{\n  apiKey: "AIza{}",\n  authDomain: "shop-prod.firebaseapp.com",\n}};\n'.format(rs(URL, 35))),
 "gcp-service-account-key": ("deploy/sa.json", json.dumps({"type": "service_account", "project_id": "shop-prod", "private_key_id": rs(HEX, 40),
     "client_email": "ci@shop-prod.iam.gserviceaccount.com", "client_id": rs(DG, 21)}, indent=2) + "\n"),
 "gcp-oauth-client-secret": ("client_secret.json", json.dumps({"installed": {"client_id": rs(DG, 12) + "-" + rs(LO + DG, 32) + ".apps.googleusercontent.com",
     "client_secret": "GOCSPX-" + rs(URL, 28), "redirect_uris": ["http://localhost"]}}) + "\n"),
 "google-oauth-access-token": ("scripts/list-buckets.sh", '#!/bin/sh\ncurl -s -H "Authorization: Bearer ya29.a0{}" \\\n  https://storage.googleapis.com/storage/v1/b?project=shop-prod\n'.format(rs(URL, 150))),
 "azure-storage-account-key": ("src/appsettings.json", json.dumps({"ConnectionStrings": {"Blob": "DefaultEndpointsProtocol=https;AccountName=shopprod;AccountKey=" + b64(rb(64)) + ";EndpointSuffix=core.windows.net"}}, indent=2) + "\n"),
 "azure-ad-client-secret": (".env", "AZURE_TENANT_ID={}\nAZURE_CLIENT_SECRET={}{}Q~{}\n".format(uuid(), rs(AN, 3), R.choice(DG), rs(AN + "_~.-", 34))),
 "azure-sas-token": ("tools/fetch.py", 'URL = ("https://shopprod.blob.core.windows.net/exports/orders.csv"\n       "?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-12-31T00:00:00Z&st=2026-11-01T00:00:00Z&spr=https&sig={}")\n'.format(sas_sig())),
 "azure-devops-pat": ("ci/.env", "AZURE_DEVOPS_PAT={}\n".format(rs(LO + "234567", 52))),
 "digitalocean-pat": ("infra/terraform.tfvars", 'region   = "ams3"\ndo_token = "dop_v1_{}"\n'.format(rs(HEX, 64))),
 "digitalocean-oauth-token": ("var/oauth-response.json", json.dumps({"access_token": "doo_v1_" + rs(HEX, 64), "token_type": "bearer", "expires_in": 2592000}) + "\n"),
 "digitalocean-refresh-token": ("config/do.yaml", "oauth:\n  refresh: dor_v1_{}\n".format(rs(HEX, 64))),
 "alibaba-access-key-id": ("deploy/aliyun.env", "ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5t{}\n".format(rs(AN, 18))),
 "alibaba-access-key-secret": ("deploy/aliyun-secret.env", "ALIBABA_CLOUD_ACCESS_KEY_SECRET={}\n".format(rs(AN, 30))),
 "tencent-secret-id": ("deploy/tencent.env", "TENCENTCLOUD_SECRET_ID=AKID{}\n".format(rs(AN, 32))),
 "ibm-cloud-api-key": ("deploy/ibm.env", "IBMCLOUD_API_KEY={}\n".format(rs(URL, 44))),
 "heroku-api-key": ("ci/heroku.env", "HEROKU_API_KEY={}\n".format(uuid())),
 "cloudflare-api-token": ("ci/cloudflare.env", "CLOUDFLARE_API_TOKEN={}\n".format(rs(URL, 40))),
 "cloudflare-global-api-key": ("ci/cloudflare-global.env", "CLOUDFLARE_EMAIL=ops@acme-corp.io\nCLOUDFLARE_API_KEY={}\n".format(rs(HEX, 37))),
 "cloudflare-origin-ca-key": ("infra/origin.tfvars", 'origin_ca_key = "v1.0-{}-{}"\n'.format(rs(HEX, 24), rs(HEX, 146))),
 "linode-api-token": ("ci/linode.env", "LINODE_TOKEN={}\n".format(rs(HEX, 64))),
 "vault-service-token": ("scripts/vault-login.sh", "#!/bin/bash\nexport VAULT_ADDR=https://vault.acme-corp.io:8200\nexport VAULT_TOKEN=hvs.CAESI{}\n".format(rs(URL, 86))),
 "vault-batch-token": ("scripts/vault-batch.sh", "export VAULT_TOKEN=hvb.AAAAAQ{}\n".format(rs(URL, 130))),
 "terraform-cloud-token": ("home/.terraformrc", 'credentials "app.terraform.io" {{\n  token = "{}.atlasv1.{}"\n}}\n'.format(rs(AN, 14), rs(AN, 67))),
 "pulumi-access-token": ("ci/pulumi.env", "PULUMI_ACCESS_TOKEN=pul-{}\n".format(rs(HEX, 40))),
 "doppler-token": ("ci/doppler.env", "DOPPLER_TOKEN=dp.st.prd.{}\n".format(rs(AN, 40))),
 "databricks-token": ("notebooks/.databrickscfg", "[DEFAULT]\nhost  = https://dbc-{}.cloud.databricks.com\ntoken = dapi{}\n".format(rs(HEX, 8), rs(HEX, 32))),
 "flyio-token": ("ci/fly.env", "FLY_API_TOKEN=fo1_{}\n".format(rs(URL, 43))),
 "scaleway-secret-key": ("ci/scw.env", "SCW_ACCESS_KEY=SCW{}\nSCW_SECRET_KEY={}\n".format(rs(UP + DG, 17), uuid())),
 "yandex-api-key": ("ci/yandex.env", "YC_API_KEY=AQVN{}\n".format(rs(URL, 36))),
 "openai-api-key": ("app/.env", "OPENAI_API_KEY=sk-{}T3BlbkFJ{}\n".format(rs(AN, 20), rs(AN, 20))),
 "anthropic-api-key": ("app/claude.env", "ANTHROPIC_API_KEY=sk-ant-api03-{}AA\n".format(rs(URL, 93))),
 "huggingface-token": ("ml/train.sh", "#!/bin/sh\nexport HF_TOKEN=hf_{}\npython train.py\n".format(rs(UP + LO, 34))),
 "github-pat": ("scripts/mirror.sh", "#!/bin/sh\ngit clone https://x-access-token:ghp_{}@github.com/corp/site.git\n".format(rs(AN, 36))),
 "github-fine-grained-pat": ("ci/gh.env", "GH_TOKEN=github_pat_{}_{}\n".format(rs(AN, 22), rs(AN, 59))),
 "github-oauth-token": ("home/.config/gh/hosts.yml", "github.com:\n    user: builder\n    oauth_token: gho_{}\n    git_protocol: https\n".format(rs(AN, 36))),
 "github-app-token": ("app/bot.py", 'import requests\n\nINSTALLATION_TOKEN = "ghs_{}"\nrequests.get("https://api.github.com/installation/repositories",\n             headers={{"Authorization": "token " + INSTALLATION_TOKEN}})\n'.format(rs(AN, 36))),
 "github-refresh-token": ("var/gh-app-user.json", json.dumps({"access_token": "see-vault", "refresh_token": "ghr_" + rs(AN, 76), "expires_in": 28800}) + "\n"),
 "gitlab-pat": ("ci/gitlab.env", "GITLAB_TOKEN=glpat-{}\n".format(rs(URL, 20))),
 "gitlab-pipeline-trigger-token": ("scripts/trigger.sh", "curl -X POST -F token=glptt-{} -F ref=main \\\n  https://gitlab.acme-corp.io/api/v4/projects/42/trigger/pipeline\n".format(rs(HEX, 40))),
 "gitlab-runner-registration-token": ("scripts/register-runner.sh", "gitlab-runner register --non-interactive --url https://gitlab.acme-corp.io \\\n  --registration-token GR1348941{} --executor docker\n".format(rs(URL, 20))),
 "gitlab-runner-auth-token": ("etc/gitlab-runner/config.toml", '[[runners]]\n  name = "docker-1"\n  url = "https://gitlab.acme-corp.io"\n  token = "glrt-{}"\n  executor = "docker"\n'.format(rs(URL, 20))),
 "gitlab-deploy-token": ("ci/deploy.env", "DEPLOY_TOKEN_USER=gitlab+deploy-token-7\nDEPLOY_TOKEN=gldt-{}\n".format(rs(URL, 20))),
 "gitlab-feed-token": ("tools/feeds.opml", '<outline type="rss" xmlUrl="https://gitlab.acme-corp.io/corp/site.atom?feed_token=glft-{}"/>\n'.format(rs(URL, 20))),
 "gitlab-oauth-app-secret": ("config/gitlab-oauth.json", json.dumps({"application_id": rs(HEX, 64), "secret": "gloas-" + rs(HEX, 64)}) + "\n"),
 "bitbucket-app-password": ("ci/bitbucket.env", "BITBUCKET_USERNAME=builder\nBITBUCKET_APP_PASSWORD=ATBB{}{}\n".format(rs(AN, 24), rs(HEX.upper(), 8))),
 "atlassian-api-token": ("ci/jira.env", "JIRA_API_TOKEN=ATATT3xFfGF0{}={}\n".format(rs(URL, 171), rs(HEX.upper(), 8))),
 "circleci-personal-token": ("ci/circle.env", "CIRCLE_TOKEN=CCIPAT_{}_{}\n".format(rs(AN, 22), rs(HEX, 40))),
 "circleci-project-token": ("ci/circle-project.env", "CIRCLE_PROJECT_TOKEN=CCIPRJ_{}_{}\n".format(rs(AN, 22), rs(HEX, 40))),
 "travis-ci-token": ("ci/travis.env", "TRAVIS_API_TOKEN={}\n".format(rs(URL, 22))),
 "buildkite-token": ("ci/buildkite.env", "BUILDKITE_API_TOKEN=bkua_{}\n".format(rs(HEX, 40))),
 "npm-access-token": ("web/.npmrc", "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=npm_{}\n".format(rs(AN, 36))),
 "npmrc-auth-token": ("home/.npmrc", "@corp:registry=https://nexus.acme-corp.io/repository/npm/\n//nexus.acme-corp.io/repository/npm/:_authToken=NpmToken.{}\n".format(uuid())),
 "pypi-upload-token": ("home/.pypirc", "[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmc{}\n".format(rs(URL, 160))),
 "rubygems-api-key": ("home/.gem/credentials", "---\n:rubygems_api_key: rubygems_{}\n".format(rs(HEX, 48))),
 "dockerhub-pat": ("ci/push.sh", '#!/bin/sh\necho "dckr_pat_{}" | docker login -u builder --password-stdin\n'.format(rs(URL, 27))),
 "docker-config-auth": ("home/.docker/config.json", json.dumps({"auths": {"registry.acme-corp.io": {"auth": b64(("deploy:" + pw(20)).encode())}}}, indent="\t") + "\n"),
 "nuget-api-key": ("ci/publish.sh", "dotnet nuget push bin/Release/Corp.Lib.1.4.0.nupkg --api-key oy2{} \\\n  --source https://api.nuget.org/v3/index.json\n".format(rs(LO + DG, 43))),
 "artifactory-api-key": ("ci/jfrog.env", "ARTIFACTORY_API_KEY=AKCp{}\n".format(rs(AN, 69))),
 "artifactory-reference-token": ("ci/jfrog-ref.env", "JFROG_ACCESS_TOKEN=cmVmdGtuOjAxOjE3{}\n".format(rs(AN, 48))),
 "sonarqube-token": ("sonar-project.properties", "sonar.projectKey=corp_site\nsonar.host.url=https://sonar.acme-corp.io\nsonar.token=squ_{}\n".format(rs(HEX, 40))),
 "snyk-token": ("ci/snyk.env", "SNYK_TOKEN={}\n".format(uuid())),
 "postman-api-key": ("ci/postman.env", "POSTMAN_API_KEY=PMAK-{}-{}\n".format(rs(HEX, 24), rs(HEX, 34))),
 "sentry-org-token": ("ci/sentry.env", "SENTRY_AUTH_TOKEN=sntrys_{}_{}\n".format(b64(json.dumps({"iat": 1764201600.1, "url": "https://sentry.io", "region_url": "https://us.sentry.io", "org": "corp"}).encode()).rstrip("="), rs(AN + "+/", 43))),
 "sentry-user-token": ("home/.sentryclirc", "[auth]\ntoken=sntryu_{}\n".format(rs(HEX, 64))),
 "grafana-service-account-token": ("ci/grafana.env", "GRAFANA_TOKEN=glsa_{}_{}\n".format(rs(AN, 32), rs(HEX, 8))),
 "grafana-cloud-token": ("ci/grafana-cloud.env", "GRAFANA_CLOUD_TOKEN=glc_{}\n".format(b64(json.dumps({"o": str(R.randrange(10**5, 10**6)), "n": "stack-ci", "k": rs(AN, 24), "m": {"r": "prod-eu-west-2"}}, separators=(",", ":")).encode()))),
 "newrelic-user-api-key": ("ci/newrelic.env", "NEW_RELIC_API_KEY=NRAK-{}\n".format(rs(UP + DG, 27))),
 "newrelic-insert-key": ("ci/newrelic-insert.env", "NEW_RELIC_INSERT_KEY=NRII-{}\n".format(rs(URL, 32))),
 "datadog-api-key": ("ci/datadog.env", "DD_SITE=datadoghq.eu\nDD_API_KEY={}\n".format(rs(HEX, 32))),
 "dynatrace-api-token": ("ci/dynatrace.env", "DT_API_TOKEN=dt0c01.{}.{}\n".format(rs(UP + DG, 24), rs(UP + DG, 64))),
 "slack-bot-token": ("app/notify.py", 'from slack_sdk import WebClient\n\nclient = WebClient(token="xoxb-{}-{}-{}")\n'.format(rs(DG, 12), rs(DG, 13), rs(AN, 24))),
 "slack-user-token": ("app/slack.env", "SLACK_USER_TOKEN=xoxp-{}-{}-{}-{}\n".format(rs(DG, 11), rs(DG, 12), rs(DG, 13), rs(HEX, 32))),
 "slack-app-token": ("app/slack-app.env", "SLACK_APP_TOKEN=xapp-1-A0{}-{}-{}\n".format(rs(UP + DG, 9), rs(DG, 13), rs(HEX, 64))),
 "slack-webhook-url": ("config/alerts.yaml", "receivers:\n  - name: ops\n    slack_configs:\n      - api_url: https://hooks.slack.com/services/T0{}/B0{}/{}\n".format(rs(UP + DG, 8), rs(UP + DG, 9), rs(AN, 24))),
 "discord-bot-token": ("bot/.env", "DISCORD_BOT_TOKEN=MT{}.{}.{}\n".format(rs(AN, 24), rs(URL, 6), rs(URL, 38))),
 "discord-webhook-url": ("bot/hooks.js", 'const HOOK = "https://discord.com/api/webhooks/{}/{}";\n'.format(rs(DG, 19), rs(URL, 68))),
 "telegram-bot-token": ("bot/telegram.env", "TELEGRAM_BOT_TOKEN={}:AA{}\n".format(rs(DG, 10), rs(URL, 33))),
 "teams-webhook-url": ("config/teams.json", json.dumps({"webhook": "https://corp.webhook.office.com/webhookb2/{}@{}/IncomingWebhook/{}/{}".format(uuid(), uuid(), rs(HEX, 32), uuid())}) + "\n"),
 "linear-api-key": ("ci/linear.env", "LINEAR_API_KEY=lin_api_{}\n".format(rs(AN, 40))),
 "notion-token": ("ci/notion.env", "NOTION_TOKEN=ntn_{}{}\n".format(rs(DG, 11), rs(AN, 35))),
 "okta-api-token": ("ci/okta.env", "OKTA_API_TOKEN=00{}\n".format(rs(URL, 40))),
 "twitter-bearer-token": ("app/x.env", "TWITTER_BEARER_TOKEN=AAAAAAAAAAAAAAAAAAAAA{}%2B{}%3D{}\n".format(rs(AN, 14), rs(AN, 20), rs(AN, 50))),
 "facebook-app-secret": ("app/facebook.env", "FACEBOOK_APP_ID={}\nFACEBOOK_APP_SECRET={}\n".format(rs(DG, 15), rs(HEX, 32))),
 "stripe-secret-key": ("shop/.env.production", "STRIPE_SECRET_KEY=sk_live_51{}\n".format(rs(AN, 97))),
 "stripe-restricted-key": ("shop/stripe.env", "STRIPE_RESTRICTED_KEY=rk_live_{}\n".format(rs(AN, 24))),
 "stripe-webhook-secret": ("shop/webhook.env", "STRIPE_WEBHOOK_SECRET=whsec_{}\n".format(rs(AN, 32))),
 "braintree-access-token": ("shop/braintree.rb", 'gateway = Braintree::Gateway.new(\n  access_token: "access_token$production${}${}",\n)\n'.format(rs(LO + DG, 16), rs(HEX, 32))),
 "square-access-token": ("shop/square.env", "SQUARE_ACCESS_TOKEN=sq0atp-{}\n".format(rs(URL, 22))),
 "square-oauth-secret": ("shop/square-oauth.env", "SQUARE_APPLICATION_SECRET=sq0csp-{}\n".format(rs(URL, 43))),
 "shopify-access-token": ("shop/shopify.env", "SHOPIFY_ACCESS_TOKEN=shpat_{}\n".format(rs(HEX, 32))),
 "shopify-custom-app-token": ("shop/shopify-custom.env", "SHOPIFY_CUSTOM_APP_TOKEN=shpca_{}\n".format(rs(HEX, 32))),
 "shopify-private-app-token": ("shop/shopify-private.env", "SHOPIFY_PRIVATE_APP_PASSWORD=shppa_{}\n".format(rs(HEX, 32))),
 "shopify-shared-secret": ("shop/shopify-secret.env", "SHOPIFY_API_SECRET=shpss_{}\n".format(rs(HEX, 32))),
 "flutterwave-secret-key": ("shop/flutterwave.env", "FLW_SECRET_KEY=FLWSECK_TEST-{}-X\n".format(rs(HEX, 32))),
 "shippo-api-token": ("shop/shippo.env", "SHIPPO_API_TOKEN=shippo_live_{}\n".format(rs(HEX, 40))),
 "easypost-api-key": ("shop/easypost.env", "EASYPOST_API_KEY=EZAK{}\n".format(rs(AN, 54))),
 "twilio-api-key": ("app/twilio.env", "TWILIO_API_KEY=SK{}\n".format(rs(HEX, 32))),
 "twilio-auth-token": ("app/twilio-auth.env", "TWILIO_ACCOUNT_SID=AC{}\nTWILIO_AUTH_TOKEN={}\n".format(rs(HEX, 32), rs(HEX, 32))),
 "sendgrid-api-key": ("app/mail.env", "SENDGRID_API_KEY=SG.{}.{}\n".format(rs(URL, 22), rs(URL, 43))),
 "mailgun-api-key": ("app/mailgun.env", "MAILGUN_DOMAIN=mg.acme-corp.io\nMAILGUN_API_KEY=key-{}\n".format(rs(HEX, 32))),
 "mailgun-signing-key": ("app/mailgun-hook.env", "MAILGUN_WEBHOOK_SIGNING_KEY={}-{}-{}\n".format(rs(HEX, 32), rs(HEX, 8), rs(HEX, 8))),
 "mailchimp-api-key": ("app/newsletter.env", "MAILCHIMP_API_KEY={}-us21\n".format(rs(HEX, 32))),
 "brevo-api-key": ("app/brevo.env", "BREVO_API_KEY=xkeysib-{}-{}\n".format(rs(HEX, 64), rs(AN, 16))),
 "postmark-server-token": ("app/postmark.env", "POSTMARK_SERVER_TOKEN={}\n".format(uuid())),
 "mandrill-api-key": ("app/mandrill.env", "MANDRILL_API_KEY={}\n".format(rs(URL, 22))),
 "private-key": ("deploy/tls/server.key", rsa_pem),
 "openssh-private-key": ("home/.ssh/id_ed25519", ssh_key),
 "pgp-private-key": ("release/signing-key.asc", pgp_priv),
 "putty-private-key": ("home/deploy.ppk", "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy@ci\nPublic-Lines: 2\n{}\n{}\nPrivate-Lines: 1\n{}\nPrivate-MAC: {}\n".format(
     b64(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + rb(32))[:64], b64(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + rb(32))[64:], b64(b"\x00\x00\x00\x20" + rb(32)), rs(HEX, 64))),
 "age-secret-key": ("home/.config/sops/age/keys.txt", "# created: 2026-11-27T03:00:00Z\n# public key: age1{}\nAGE-SECRET-KEY-1{}\n".format(rs("qpzry9x8gf2tvdw0s3jn54khce6mua7l", 58), rs("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58))),
 "kubeconfig-client-key": ("home/.kube/config", "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://10.0.0.1:6443\n  name: prod\nusers:\n- name: admin\n  user:\n    client-key-data: {}\n".format(b64(ec_pem.encode()))),
 "jwt": ("web/src/api.js", 'const SERVICE_JWT = "{}";\nfetch("/api/orders", {{ headers: {{ "X-Service": SERVICE_JWT }} }});\n'.format(jwt())),
 "postgres-url-password": ("app/db.env", "DATABASE_URL=postgres://app:{}@db.internal:5432/shop?sslmode=require\n".format(rs(AN, 24))),
 "mysql-url-password": ("docker-compose.yml", "services:\n  web:\n    image: corp/wp\n    environment:\n      DB_DSN: mysql://wp:{}@mysql:3306/wordpress\n".format(rs(AN, 20))),
 "mongodb-url-password": ("app/mongo.env", "MONGO_URI=mongodb+srv://svc:{}@cluster0.ab1cd.mongodb.net/prod\n".format(rs(AN, 20))),
 "redis-url-password": ("app/redis.env", "REDIS_URL=redis://:{}@cache:6379/0\n".format(rs(AN, 24))),
 "amqp-url-password": ("app/worker.py", 'BROKER_URL = "amqp://orders:{}@rabbitmq:5672/%2F"\n'.format(rs(AN, 20))),
 "jdbc-url-password": ("src/main/resources/application.properties", "spring.datasource.url=jdbc:sqlserver://db:1433;databaseName=shop;user=sa;password={}\n".format(rs(AN, 20))),
 "url-credentials": ("ci/install.sh", "pip install --index-url https://ci:{}@pypi.acme-corp.io/simple corp-lib\n".format(rs(AN, 20))),
 "basic-auth-header": ("tools/requests.http", "GET https://api.acme-corp.io/v1/orders\nAuthorization: Basic {}\n".format(b64(("reporter:" + rs(AN, 16)).encode()))),
 "bearer-auth-header": ("tools/client.py", 'HEADERS = {{"Authorization": "Bearer {}"}}\n'.format(rs(AN, 40))),
 "netrc-password": ("home/.netrc", "machine api.acme-corp.io\n  login deploy\n  password {}\n".format(rs(AN, 20))),
 "django-secret-key": ("site/settings.py", "DEBUG = False\nSECRET_KEY = '{}'\n".format(rs(LO + DG + "!@#%^&*(-_=+)", 50))),
 "rails-secret-key-base": ("config/secrets.yml", "production:\n  secret_key_base: {}\n".format(rs(HEX, 128))),
 "wordpress-db-password": ("www/wp-config.php", "<?php\ndefine( 'DB_NAME', 'wordpress' );\ndefine( 'DB_USER', 'wp' );\ndefine( 'DB_PASSWORD', '{}' );\n".format(rs(AN, 16))),
 "generic-password": ("config/database.yml", "production:\n  adapter: postgresql\n  username: shop\n  password: {}\n".format(rs(AN, 16))),
 "generic-secret": ("config/api.ini", "[partner]\nendpoint = https://partner.acme-corp.io\nclient_secret = {}\n".format(rs(AN, 32))),
}

neg = {
 "aws-docs.env": "# values from the AWS documentation\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
 "placeholders.env": "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nSTRIPE_SECRET_KEY=sk_live_...\nSLACK_BOT_TOKEN=xoxb-your-bot-token\nOPENAI_API_KEY=<your-openai-key>\nDATABASE_URL=postgres://user:password@localhost:5432/app\nREDIS_URL=redis://localhost:6379/0\nSENDGRID_API_KEY=${SENDGRID_API_KEY}\n",
 "config.yaml": "database:\n  host: db\n  password: ${DB_PASSWORD}\n  password_file: /run/secrets/db_password\nauth:\n  token_url: https://login.acme-corp.io/oauth/token\n  client_secret: changeme\n  api_key: \"{{ .Values.apiKey }}\"\nvault:\n  password: !vault |\n    $ANSIBLE_VAULT;1.1;AES256\n",
 "app.json": json.dumps({"password": "string", "secret": True, "token": None, "apiKey": "", "passwordMinLength": 12}, indent=2) + "\n",
 "SHA256SUMS": "".join("{}  {}\n".format(rs(HEX, 64), n) for n in ("shipshape_linux_amd64.tar.gz", "shipshape_linux_arm64.tar.gz", "shipshape_darwin_arm64.tar.gz")),
 "git-log.txt": "".join("commit {}\nAuthor: Dev <dev@acme-corp.io>\n\n    fix: {}\n\n".format(rs(HEX, 40), m) for m in ("retry uploads", "key rotation docs", "token refresh")),
 "go.sum": "".join("{} {} h1:{}=\n".format(m, v, b64(rb(32))[:-1]) for m, v in (("github.com/spf13/cobra", "v1.10.1"), ("golang.org/x/sync", "v0.17.0"))),
 "package-lock.json": json.dumps({"packages": {"node_modules/lodash": {"version": "4.17.21", "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz", "integrity": "sha512-" + b64(rb(64))}}}, indent=2) + "\n",
 "uuids.json": json.dumps({"requestId": uuid(), "traceId": uuid(), "items": [{"id": uuid(), "sku": rs(UP + DG, 10)} for _ in range(3)]}, indent=2) + "\n",
 "blob.b64": "\n".join(b64(rb(57 * 20))[i:i + 76] for i in range(0, 1520, 76)) + "\n",
 "certificate.pem": cert_pem,
 "public.pem": rsa_pub,
 "id_ed25519.pub": ssh_pub,
 "release-key.asc": pgp_pub,
 "checksums.properties": "artifact.md5={}\nartifact.sha1={}\nbuild.id={}\n".format(rs(HEX, 32), rs(HEX, 40), uuid()),
 "locale.conf": "LANG=en-US\nLANGUAGE=en-US:en\naccept_language = en-us,en;q=0.5\n",
 "telegram-notes.txt": "bot id 12345678:AAbb is too short to be a token\n",
 "jwt-header.js": '// a JWT starts with its header, e.g. "eyJhbGciOiJIUzI1NiJ9" (alg HS256)\nconst parts = token.split(".");\n',
 "settings.py": "import os\nSECRET_KEY = os.environ['DJANGO_SECRET_KEY']\nDATABASES = {'default': {'PASSWORD': os.getenv('DB_PASSWORD')}}\n",
 "urls.md": "See https://github.com/corp/site and http://localhost:8080/api. Connect with psql postgres://localhost/shop.\n",
 "keys-doc.txt": "The key ID looks like AKIA followed by 16 characters; tokens start with ghp_ or glpat-.\n-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n",
 "docker-config.json": json.dumps({"auths": {"ghcr.io": {}}, "credsStore": "desktop"}, indent="\t") + "\n",
 "doc-urls.rb": "#   uri = URI.parse(\"http://john:S3nsit1ve@my.example.com\")\n# export http_proxy=\"http://proxyuser:proxypass@proxy.example.org:3128\"\n# DATABASE_URL=postgres://app:hunter2secret@db.test/app\n",
 "hex.ini": "[cache]\nsecret_salt_length = 32\nfingerprint = {}\n".format(":".join(rs(HEX, 2) for _ in range(20))),
}

for d in ("positives", "negatives"):
    shutil.rmtree(d, ignore_errors=True)
manifest = []
for rule, (path, text) in sorted(pos.items()):
    p = os.path.join("positives", rule, path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "w").write(text)
for name, text in sorted(neg.items()):
    p = os.path.join("negatives", name)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "w").write(text)
print(len(pos), "positives,", len(neg), "negatives")

# jupyterhub_config.py for a district on one server: staff sign in with their district Google
# (or Microsoft) account through OAuthenticator; sislab decides what each may do.
# See docs/operations.md, "JupyterHub". `pip install jupyterhub oauthenticator` beside sislab,
# `npm install -g configurable-http-proxy`, then run `jupyterhub -f this file` as root (or with
# a spawner that can start each user's server as their own account).
import os
from pathlib import Path

from sislab.core import hub
from sislab.core.workspace import Workspace

c.JupyterHub.bind_url = "https://sislab.district.example.org"
c.JupyterHub.ssl_cert = "/etc/letsencrypt/live/sislab.district.example.org/fullchain.pem"
c.JupyterHub.ssl_key = "/etc/letsencrypt/live/sislab.district.example.org/privkey.pem"

# Google Workspace accounts of the district's domain ...
c.JupyterHub.authenticator_class = "google"
c.GoogleOAuthenticator.oauth_callback_url = "https://sislab.district.example.org/hub/oauth_callback"
c.GoogleOAuthenticator.client_id = os.environ["OAUTH_CLIENT_ID"]
c.GoogleOAuthenticator.client_secret = os.environ["OAUTH_CLIENT_SECRET"]
c.GoogleOAuthenticator.hosted_domain = ["district.example.org"]
c.GoogleOAuthenticator.allow_all = True  # anyone of the domain signs in; sislab's users decide the rest
# ... or Microsoft Entra ID (Azure AD):
# c.JupyterHub.authenticator_class = "azuread"
# c.AzureAdOAuthenticator.tenant_id = os.environ["AAD_TENANT_ID"]
# c.AzureAdOAuthenticator.oauth_callback_url = "https://sislab.district.example.org/hub/oauth_callback"
# c.AzureAdOAuthenticator.client_id = os.environ["OAUTH_CLIENT_ID"]
# c.AzureAdOAuthenticator.client_secret = os.environ["OAUTH_CLIENT_SECRET"]
# c.AzureAdOAuthenticator.username_claim = "email"
# c.AzureAdOAuthenticator.allow_all = True

# Each user's JupyterLab runs as the Unix account of the same name (create them, e.g. with
# `c.LocalAuthenticator.create_system_users`), and must be able to read and write the workspace
# (a group owning /srv/sislab). A single shared account: c.JupyterHub.spawner_class = "simple".
hub.configure(c, Workspace.locate("/srv/sislab/workspace"), notebooks=Path("/srv/sislab/notebooks"))

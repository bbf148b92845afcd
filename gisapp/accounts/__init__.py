"""Accounts: login, sessions and tokens, who is asking, access rules, credential cache, audit."""

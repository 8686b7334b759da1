"""API tokens and roles, who a request acts as, and the audit log of every write."""

from repo.auth.request import authenticate_header, bearer_token, request_principal, token_store
from repo.auth.roles import Role
from repo.auth.tokens import Principal, TokenInfo, TokenStore
from repo.auth.write_log import WriteLog, WriteRecord, refused_bag

__all__ = [
    "Principal",
    "Role",
    "TokenInfo",
    "TokenStore",
    "WriteLog",
    "WriteRecord",
    "authenticate_header",
    "bearer_token",
    "refused_bag",
    "request_principal",
    "token_store",
]

"""Admin tokens: random, shown once, stored only as a SHA-256 hash, revocable.

Tokens carry 256 bits of entropy, so a fast hash is enough (there is nothing to brute-force); the
lookup is by hash, and the final comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from functions import aws
from functions.clock import utc_stamp
from functions.config import settings

PREFIX = "chorus_adm_"


class AdminAuthError(PermissionError):
    """Missing, malformed, unknown or revoked admin token."""


@dataclass(frozen=True)
class AdminToken:
    token_hash: str
    label: str
    created_at: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AdminTokenStore:
    def __init__(self, table: str | None = None, client: Any = None) -> None:
        self.table = table or settings().admin_tokens_table
        self.client = client or aws.dynamodb()

    def create(self, label: str) -> str:
        """Create a token and return it; this is the only time the plain token exists."""
        token = PREFIX + secrets.token_urlsafe(32)
        self.client.put_item(
            TableName=self.table,
            Item={
                "token_hash": {"S": _hash(token)},
                "label": {"S": label[:100] or "admin"},
                "created_at": {"S": utc_stamp()},
            },
            ConditionExpression="attribute_not_exists(token_hash)",
        )
        return token

    def verify(self, authorization: str | None) -> AdminToken:
        """Check an ``Authorization: Bearer <token>`` header value."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token.startswith(PREFIX) or len(token) > 200:
            raise AdminAuthError("an admin token is required: Authorization: Bearer <token>")
        digest = _hash(token)
        item = self.client.get_item(TableName=self.table, Key={"token_hash": {"S": digest}}).get("Item")
        if not item or "revoked_at" in item or not hmac.compare_digest(item["token_hash"]["S"], digest):
            raise AdminAuthError("the admin token is not valid")
        return AdminToken(digest, item["label"]["S"], item["created_at"]["S"])

    def revoke(self, token: str) -> bool:
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"token_hash": {"S": _hash(token)}},
                UpdateExpression="SET revoked_at = :now",
                ConditionExpression="attribute_exists(token_hash)",
                ExpressionAttributeValues={":now": {"S": utc_stamp()}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

"""Each function's IAM policy as infra/policies.py builds it for a stage and its MailFrom."""

from __future__ import annotations

import json

import pytest

from infra.iam import allows
from infra.policies import NEEDS, build, mail_identities


def test_the_mail_identity_is_the_mail_from_domain_or_its_address() -> None:
    assert mail_identities("Chorus <news@acme.com>") == ["acme.com", "news@acme.com"]
    assert mail_identities("news@acme.com") == ["acme.com", "news@acme.com"]
    with pytest.raises(ValueError, match="no address"):
        mail_identities("Chorus")


@pytest.mark.parametrize("function", sorted(NEEDS))
def test_another_stages_policy_names_only_that_stages_resources(function: str) -> None:
    text = json.dumps(build(function, stage="prod", mail_from="Chorus <news@acme.com>"))
    assert "chorus-dev" not in text and "/chorus/dev/" not in text and "example.com" not in text


def test_the_prod_digest_sender_sends_only_as_prods_mail_from() -> None:
    policy = build("send_digests", stage="prod", mail_from="Chorus <news@acme.com>")
    identity = "arn:aws:ses:eu-west-1:111122223333:identity/{}"
    assert allows(policy, "ses:SendRawEmail", identity.format("acme.com"))
    assert allows(policy, "ses:SendRawEmail", identity.format("news@acme.com"))
    assert not allows(policy, "ses:SendRawEmail", identity.format("example.com"))
    assert not allows(policy, "ses:SendRawEmail", identity.format("news@acme.com.evil.example"))
    table = "arn:aws:dynamodb:eu-west-1:111122223333:table/{}"
    assert allows(policy, "dynamodb:UpdateItem", table.format("chorus-prod-digests"))
    assert not allows(policy, "dynamodb:UpdateItem", table.format("chorus-dev-digests"))

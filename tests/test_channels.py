from __future__ import annotations

from datetime import timedelta

import pytest

from handoff import channels
from handoff.channels import ChannelProfile
from handoff.errors import ValidationError


def test_builtin_profiles() -> None:
    expected = {
        "email",
        "chat",
        "phone",
        "sms",
        "whatsapp",
        "messenger",
        "instagram",
        "twitter",
        "twitter_dm",
        "facebook",
        "portal",
    }
    assert expected <= set(channels.names())
    assert channels.get("twitter").is_public
    assert not channels.get("twitter_dm").is_public
    assert channels.get("phone").mode == "sync"
    assert channels.get("email").is_async
    assert channels.get("whatsapp").service_window == timedelta(hours=24)


def test_one_phone_identity_reaches_three_channels() -> None:
    reach = [c.name for c in channels.profiles() if "phone" in c.identity_kinds]
    assert {"sms", "whatsapp", "phone"} <= set(reach)


def test_one_handle_reaches_public_and_private_twitter() -> None:
    assert "twitter" in channels.get("twitter").identity_kinds
    assert "twitter" in channels.get("twitter_dm").identity_kinds


def test_unknown_channel_names_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        channels.get("pigeon", "to_channel")
    assert err.value.field == "to_channel"
    assert "pigeon" in str(err.value)


def test_register_a_new_channel() -> None:
    profile = ChannelProfile("zz_line", "LINE", "private", "async", {"phone"}, 2000)
    channels.register(profile, replace=True)
    assert channels.get("zz_line") is profile
    with pytest.raises(ValidationError):
        channels.register(profile)


def test_register_validates() -> None:
    with pytest.raises(ValidationError):
        ChannelProfile("Bad Name", "x", "private", "async", {"phone"}, 10)
    with pytest.raises(ValidationError):
        channels.register(ChannelProfile("zz_bad", "x", "private", "async", {"carrier_pigeon"}, 10))
    with pytest.raises(ValidationError):
        channels.register("email")  # type: ignore[arg-type]

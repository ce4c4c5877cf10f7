"""Missing emulators fail at once, naming what to install."""

from __future__ import annotations

import pytest

from common.devstack.sdk import MissingEmulators, find_emulators


def test_no_sdk_names_the_components_to_install(tmp_path):
    with pytest.raises(MissingEmulators) as info:
        find_emulators([tmp_path / "nowhere"])
    message = str(info.value)
    assert "gcloud components install pubsub-emulator cloud-firestore-emulator" in message
    assert "apt-get install" in message


def test_sdk_without_the_firestore_emulator_names_it(tmp_path):
    pubsub = tmp_path / "platform/pubsub-emulator/bin/cloud-pubsub-emulator"
    pubsub.parent.mkdir(parents=True)
    pubsub.write_text("#!/bin/sh\n")
    with pytest.raises(MissingEmulators) as info:
        find_emulators([tmp_path])
    assert "Missing cloud-firestore-emulator" in str(info.value)


def test_complete_sdk_is_found(tmp_path):
    for relative in (
        "platform/pubsub-emulator/bin/cloud-pubsub-emulator",
        "platform/cloud-firestore-emulator/cloud_firestore_emulator",
    ):
        path = tmp_path / relative
        path.parent.mkdir(parents=True)
        path.write_text("#!/bin/sh\n")
    paths = find_emulators([tmp_path])
    assert paths.pubsub.name == "cloud-pubsub-emulator"

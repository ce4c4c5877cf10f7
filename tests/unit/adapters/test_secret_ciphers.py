"""The two SecretCipher adapters: local AES-GCM (dev stack) and Cloud KMS (through the real client
library, against a scripted KMS REST endpoint), and how a process chooses between them."""

import pytest

from common.adapters.kms_cipher import KmsSecretCipher
from common.adapters.local_cipher import LocalSecretCipher, new_local_key
from common.adapters.secret_ciphers import secret_cipher_factory
from common.config import ConfigError, Settings
from common.errors import PermanentError, TransientError
from tests.support.scripted_kms import ScriptedKms

SECRET = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlYw=="
KEY = "projects/p/locations/europe-west1/keyRings/agentjobs/cryptoKeys/webhook-secrets"


def test_local_cipher_round_trips_and_binds_the_context():
    cipher = LocalSecretCipher(new_local_key())
    sealed = cipher.encrypt(SECRET, context="tenant-a")
    assert sealed.startswith("local:") and SECRET not in sealed and SECRET[6:] not in sealed
    assert sealed != cipher.encrypt(SECRET, context="tenant-a")  # a fresh nonce each time
    assert cipher.decrypt(sealed, context="tenant-a") == SECRET
    for context, other in (("tenant-b", cipher), ("tenant-a", LocalSecretCipher(new_local_key()))):
        with pytest.raises(PermanentError) as info:
            other.decrypt(sealed, context=context)
        assert info.value.error_code == "secret_undecryptable" and SECRET not in str(info.value.to_dict())
    with pytest.raises(PermanentError):
        cipher.decrypt("kms:AAAA", context="tenant-a")
    with pytest.raises(PermanentError):
        cipher.decrypt("local:not-base64!", context="tenant-a")


@pytest.mark.parametrize("key", ["", "short", "A" * 44 + "=="])
def test_a_malformed_local_key_is_a_configuration_error(key):
    with pytest.raises(ConfigError):
        LocalSecretCipher(key)


def test_kms_cipher_sends_the_context_as_aad_and_maps_errors():
    with ScriptedKms() as kms:
        cipher = KmsSecretCipher(KEY, client=kms.client(), call_seconds=0.5)
        sealed = cipher.encrypt(SECRET, context="tenant-a")
        assert sealed.startswith("kms:") and SECRET not in sealed
        assert cipher.decrypt(sealed, context="tenant-a") == SECRET
        with pytest.raises(PermanentError) as info:
            cipher.decrypt(sealed, context="tenant-b")
        assert info.value.error_code == "secret_undecryptable"
        with pytest.raises(PermanentError):
            cipher.decrypt("local:AAAA", context="tenant-a")
        kms.unavailable = True
        with pytest.raises(TransientError):
            cipher.decrypt(sealed, context="tenant-a")
    assert kms.calls[:3] == ["encrypt", "decrypt", "decrypt"]


def test_the_configured_key_chooses_the_cipher_and_no_key_is_refused_at_start():
    kms = secret_cipher_factory(Settings(kms_key=KEY, local_secret_key=new_local_key()))()
    assert isinstance(kms, KmsSecretCipher)
    local = secret_cipher_factory(Settings(local_secret_key=new_local_key()))
    assert isinstance(local(), LocalSecretCipher) and local() is local()  # built once
    with pytest.raises(ConfigError) as info:
        secret_cipher_factory(Settings())
    assert info.value.error_code == "secret_key_missing"

import pytest

from common.webhooks.url_policy import CallbackUrlRefused, check_callback_url


def resolver(mapping):
    return lambda host, port: mapping[host]


PUBLIC = resolver({"hooks.example.com": ["93.184.216.34"]})


def test_public_https_url_is_accepted():
    assert check_callback_url("https://hooks.example.com/x", resolve=PUBLIC) == "https://hooks.example.com/x"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.5",
        "192.168.1.1",
        "172.16.0.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fc00::1",
        "0.0.0.0",
        "100.64.0.1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(address):
    with pytest.raises(CallbackUrlRefused):
        check_callback_url("https://internal.example/x", resolve=resolver({"internal.example": [address]}))


def test_one_private_address_among_public_ones_is_enough_to_refuse():
    with pytest.raises(CallbackUrlRefused):
        check_callback_url(
            "https://mixed.example/x", resolve=resolver({"mixed.example": ["93.184.216.34", "10.1.1.1"]})
        )


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "ftp://hooks.example.com/x",
        "/relative",
        "https://user:pw@hooks.example.com/x",
        "https:///nohost",
        "https://[",
        "https://a]b/x",
        "http://[::1/x",
    ],
)
def test_non_https_and_malformed_urls_are_refused(url):
    with pytest.raises(CallbackUrlRefused):
        check_callback_url(url, resolve=PUBLIC)


def test_loopback_only_under_the_dev_setting():
    local = resolver({"127.0.0.1": ["127.0.0.1"]})
    with pytest.raises(CallbackUrlRefused):
        check_callback_url("http://127.0.0.1:8080/hook", resolve=local)
    assert check_callback_url("http://127.0.0.1:8080/hook", allow_loopback=True, resolve=local)
    with pytest.raises(CallbackUrlRefused):
        check_callback_url("http://10.0.0.1/hook", allow_loopback=True, resolve=resolver({"10.0.0.1": ["10.0.0.1"]}))


def test_unresolvable_host_is_refused():
    with pytest.raises(CallbackUrlRefused):
        check_callback_url("https://does-not-exist.invalid/x")

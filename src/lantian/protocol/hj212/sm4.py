"""SM4 encryption of the CP data area (HJ 212-2025 §6.4).

The characters between ``CP=&&`` and the closing ``&&`` are encrypted with SM4 in ECB mode
without padding, with a 16-byte key per data logger (MN). Whole 16-byte blocks are
encrypted and written as a hex byte list ``{0xE4,0x3E,…}``; a tail shorter than one block
stays plaintext after the closing brace. The CRC is computed over the plaintext data
segment. The cipher itself is ``cryptography``'s SM4 (GB/T 32907-2016).

References
----------
.. [1] HJ 212-2025, §6.4 (data encryption), Appendix C examples (official test key
   ``0x30`` × 16).
.. [2] GB/T 32907-2016, SM4 block cipher.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = ["OFFICIAL_TEST_KEY", "decrypt_cp", "encrypt_cp", "is_encrypted_cp"]

OFFICIAL_TEST_KEY = b"0" * 16
"""The test key of the HJ 212-2025 examples (16 × 0x30)."""

_BLOCK = 16


def _check_key(key: bytes) -> None:
    if len(key) != _BLOCK:
        raise ValueError(f"an SM4 key has 16 bytes, got {len(key)}")


def is_encrypted_cp(cp: str) -> bool:
    """Whether a CP data area is in the encrypted ``{0x..,..}tail`` form of HJ 212-2025."""
    return cp.startswith("{0x") or cp.startswith("{0X")


def encrypt_cp(cp: str, key: bytes) -> str:
    """Encrypt the CP data area ``cp`` (text between ``&&`` and ``&&``) with SM4-ECB.

    Parameters
    ----------
    cp : str
        Plaintext CP content, e.g. ``DataTime=20250101000000;a21026-Rtd=12.3``.
    key : bytes
        16-byte SM4 key of the data logger.

    Returns
    -------
    str
        ``{0xE4,0x3E,…}`` for the whole blocks followed by the plaintext tail (< 16 bytes).
        A CP shorter than 16 bytes is returned unchanged.

    References
    ----------
    .. [1] HJ 212-2025, §6.4.
    """
    _check_key(key)
    data = cp.encode("utf-8")
    whole = len(data) - len(data) % _BLOCK
    if whole == 0:
        return cp
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    cipher = encryptor.update(data[:whole]) + encryptor.finalize()
    listed = ",".join(f"0x{b:02X}" for b in cipher)
    return "{" + listed + "}" + data[whole:].decode("utf-8", errors="surrogateescape")


def decrypt_cp(cp: str, key: bytes) -> str:
    """Decrypt an encrypted CP data area produced by :func:`encrypt_cp` (or a logger).

    Raises
    ------
    ValueError
        If ``cp`` is not a well-formed ``{0x..}`` list, its length is not a whole number
        of 16-byte blocks, or the plaintext is not UTF-8 (wrong key).

    References
    ----------
    .. [1] HJ 212-2025, §6.4.
    """
    _check_key(key)
    if not is_encrypted_cp(cp):
        raise ValueError("CP is not in the encrypted {0x..} form")
    end = cp.find("}")
    if end < 0:
        raise ValueError("encrypted CP has no closing '}'")
    try:
        cipher = bytes(int(item, 16) for item in cp[1:end].split(","))
    except ValueError as exc:
        raise ValueError(f"encrypted CP byte list is malformed: {exc}") from None
    if not cipher or len(cipher) % _BLOCK:
        raise ValueError(f"encrypted CP has {len(cipher)} bytes, not whole 16-byte blocks")
    decryptor = Cipher(algorithms.SM4(key), modes.ECB()).decryptor()
    plain = decryptor.update(cipher) + decryptor.finalize()
    try:
        return plain.decode("utf-8") + cp[end + 1 :]
    except UnicodeDecodeError:
        raise ValueError("decrypted CP is not UTF-8 text (wrong SM4 key?)") from None

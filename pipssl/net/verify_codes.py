"""OpenSSL's certificate verify codes, by the names OpenSSL gives them.

``ssl.SSLCertVerificationError.verify_code`` is OpenSSL's ``X509_V_ERR_*`` number, and
Python's ``ssl`` module names none of them. The values are OpenSSL's, from
include/openssl/x509_vfy.h (generated from x509_vfy.h.in):
https://github.com/openssl/openssl/blob/master/include/openssl/x509_vfy.h.in
The numbers are part of OpenSSL's public API, but a few moved in OpenSSL 3.0 (24 was
"invalid CA certificate" in 1.1 and is "issuer certificate doesn't have a public key"
now; "invalid CA certificate" is 79): only the codes named here, the same in 1.1.1 and 3.x
(checked against ``X509_verify_cert_error_string`` of this machine's OpenSSL 3.0), are
decided on; any other is reported with OpenSSL's own message.
"""

from __future__ import annotations

#: The issuer of a certificate in the chain is not among the trusted ones.
X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT = 2
#: A certificate's notBefore is later than now.
X509_V_ERR_CERT_NOT_YET_VALID = 9
#: A certificate's notAfter is earlier than now.
X509_V_ERR_CERT_HAS_EXPIRED = 10
#: The chain is the leaf alone, and the leaf is self-signed.
X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT = 18
#: The chain ends in a self-signed root that is not trusted.
X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN = 19
#: The issuer of the top certificate sent is not among the trusted ones.
X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20
#: The leaf came alone and its issuer is not among the trusted ones.
X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21
#: The certificate does not name the host name asked for (check_hostname).
X509_V_ERR_HOSTNAME_MISMATCH = 62
#: The certificate does not name the IP address asked for (check_hostname).
X509_V_ERR_IP_ADDRESS_MISMATCH = 64
#: The leaf's key is below OpenSSL's security level (e.g. RSA 1024 at level 2).
X509_V_ERR_EE_KEY_TOO_SMALL = 66
#: A CA's key in the chain is below the security level.
X509_V_ERR_CA_KEY_TOO_SMALL = 67
#: A certificate in the chain is signed with a digest below the security level (SHA-1).
X509_V_ERR_CA_MD_TOO_WEAK = 68

# The checks of OpenSSL's strict mode (VERIFY_X509_STRICT, RFC 5280's profile): only a
# context with that flag fails with these (OpenSSL 3's x509_vfy.c, check_extensions).
#: A certificate other than a self-signed root has no Authority Key Identifier.
X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER = 85
#: A CA has no Subject Key Identifier.
X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER = 86
#: A CA's basicConstraints extension is not marked critical.
X509_V_ERR_CA_BCONS_NOT_CRITICAL = 89
#: A CA has no keyUsage extension.
X509_V_ERR_CA_CERT_MISSING_KEY_USAGE = 92
#: Every code of the strict profile: X509_V_ERR_PATHLEN_INVALID_FOR_NON_CA (80) to
#: X509_V_ERR_EC_KEY_EXPLICIT_PARAMS (94).
STRICT_PROFILE = frozenset(range(80, 95))

#: The codes that say "the issuer is not among the trusted roots": the only failures a CA
#: added to the trust (a bundle) can fix.
ISSUER_CODES = frozenset(
    {
        X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
        X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
        X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
        X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
    }
)

"""What pipssl says about a failed verification, and the advice diagnosis and repair share.

The deciding code (:mod:`pipssl.diagnosis.classify`, :mod:`pipssl.repairing.plan`) chooses
which finding it is and computes the facts; the words users read (a finding's summary,
detail and fix, a plan's lines) are written here, once.  Every value from outside pipssl
(host names, certificate fields, OpenSSL's message, config values, paths) enters the text
through :func:`pipssl._text.shown`; fingerprints, dates and pipssl's own commands are
pipssl's own text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Tuple

from pipssl import commands
from pipssl._text import shown
from pipssl.certs.x509 import Certificate
from pipssl.commands import set_lines, unset_lines
from pipssl.findings import Finding
from pipssl.interpreter import pipconfig
from pipssl.interpreter.facts import Target
from pipssl.interpreter.trust import TRUSTSTORE_PIP


@dataclass(frozen=True)
class Words:
    """A finding's text: its one-line summary, what was seen, and what to do."""

    summary: str
    detail: str = ""
    fix: str = ""

    def finding(self, code: str, target: str) -> Finding:
        """The finding ``code`` about ``target`` that says these words."""
        return Finding.make(code, target, self.summary, self.detail, self.fix)


# --- a failed verification (classify) ---------------------------------------------------


def openssl_said(message: Optional[str], code: Optional[int]) -> str:
    """The first detail line of every verify finding: OpenSSL's own words and code."""
    return f"OpenSSL: {shown(message)} (code {code})"


def nothing_expired(where: str, host: str) -> str:
    """OpenSSL said "expired" of a chain pipssl sees no expired certificate in."""
    seen = f"no certificate {shown(host)} sends, nor a root pipssl finds for them, has expired"
    return f"{where}\n{seen}"


def _dates(bad: Optional[Certificate]) -> str:
    return f"valid {bad.not_before.date()} to {bad.not_after.date()}" if bad else ""


def _named(bad: Optional[Certificate]) -> str:
    return f" ({shown(bad.subject)})" if bad else ""


def cert_expired(host: str, bad: Optional[Certificate], where: str, skew: bool) -> Words:
    """cert-expired; with a wrong clock (``skew``), the clock is the first fix."""
    return Words(
        f"{shown(host)} presents an expired certificate{_named(bad)}",
        f"{where}\n{_dates(bad)}",
        "nothing to fix on this machine: the server's owner must renew it"
        if not skew
        else "fix the clock first",
    )


def cert_not_yet_valid(host: str, bad: Optional[Certificate], where: str, now: datetime) -> Words:
    """cert-not-yet-valid, with this machine's clock beside the certificate's dates."""
    return Words(
        f"{shown(host)}'s certificate is not valid yet{_named(bad)}",
        "{}\n{}; this clock: {}".format(where, _dates(bad), now.strftime("%Y-%m-%d %H:%M")),
        "if this clock is right, the server's owner must fix the certificate; "
        "otherwise set the clock",
    )


def hostname_mismatch(host: str, leaf: Optional[Certificate], where: str) -> Words:
    """hostname-mismatch: the names the certificate is for (its subject when it has none)."""
    names = ", ".join(leaf.san_dns + leaf.san_ip) if leaf else "?"
    return Words(
        f"{shown(host)}'s certificate is for another host",
        "{}\ncertificate names: {}".format(where, shown(names or leaf.subject) if leaf else "?"),
        "use the host name the certificate names, or ask the server's owner to fix it;"
        " never turn checking off",
    )


def self_signed(host: str, leaf: Optional[Certificate], where: str, trust: Optional[str]) -> Words:
    """self-signed; ``trust`` is how to trust it when pipssl would accept it as a CA
    (:func:`trust_fix`), None when it would not."""
    return Words(
        f"{shown(host)} presents a self-signed certificate",
        "{}\nsubject: {}\nsha256: {}".format(
            where, shown(leaf.subject) if leaf else "?", leaf.sha256 if leaf else "?"
        ),
        "ask the server's owner for a certificate from a CA (a private CA of "
        "theirs is fine: pipssl can trust that CA)"
        + (
            "; if you run it and this certificate is your CA, " + trust
            if trust is not None
            else "; pipssl never trusts a server certificate that is not a CA"
        ),
    )


def trust_fix(cert: Certificate, why_not: Optional[str], ca_file: str) -> str:
    """Trusting the CA ``cert`` the index presented (its certificate saved as ``ca_file``),
    or why pipssl cannot (``why_not``: :func:`pipssl.certs.consent.refusal`)."""
    if why_not is not None:
        return f"pipssl cannot trust it: {why_not}; ask its owner for a certificate from a CA"
    return (
        "check this fingerprint with your IT department before trusting it:\n"
        f"  {cert.sha256}\n"
        "then trust it for pip (in a bundle of pipssl's own; certifi is not touched):\n"
        f"{commands.pipssl('repair', '--accept-ca', cert.sha256)}\n"
        "# or, with the CA's certificate file: "
        f"{commands.pipssl('repair', '--ca', ca_file)}"
    )


def issuer_fix(issuer: str, ca_file: str) -> str:
    """The CA is not in the chain the server sent: the user has to get its file."""
    return (
        f"get the certificate of '{shown(issuer)}' (and of the root above it, if it is an "
        f"intermediate) from your IT department as a PEM file, {ca_file}; check its "
        "fingerprint with them, then trust it for pip:\n"
        f"openssl x509 -in {ca_file} -noout -subject -fingerprint -sha256\n"
        f"{commands.pipssl('repair', '--ca', ca_file)}"
    )


def cross_signed_fix(host: str, offered: Optional[Tuple[Certificate, str]]) -> str:
    """When the server sends a root cross-signed by the unknown issuer (``offered``: it and
    the file name its certificate gets), that root's own certificate is the other way in
    (and the only one, once the old root expired)."""
    if offered is None:
        return ""
    cert, ca_file = offered
    name = shown(cert.subject)
    return (
        f"\n# {shown(host)} also sends '{name}' issued by that CA: if '{name}' is a root of "
        "its own (a new root cross-signed by an older one), its certificate does instead:\n"
        f"openssl x509 -in {ca_file} -noout -subject -fingerprint -sha256\n"
        + commands.pipssl("repair", "--ca", ca_file)
    )


def not_trusted(host: str, where: str) -> Words:
    """untrusted-issuer-unknown when the server sent no certificate pipssl could read."""
    return Words(f"{shown(host)}'s certificate is not trusted", where)


def in_system_store(os_root: Certificate, where: str) -> Words:
    """untrusted-issuer-in-system-store: the OS trusts the issuer, pip's bundle lacks it."""
    return Words(
        f"{shown(os_root.subject)} is trusted by the OS, but not by what this pip uses",
        f"{where}\nissuer: {shown(os_root.subject)}\nsha256: {os_root.sha256}\n"
        "pip verifies with its own bundle, which lacks it",
        "point pip at a bundle of certifi's and the OS store's roots:\n"
        + commands.pipssl("repair"),
    )


def too_old_for_truststore(target: Target, python_can: bool) -> Words:
    """pip-too-old-for-truststore; ``python_can``: a newer pip on this Python would read
    the OS store (truststore), so upgrading it is the lasting fix after the bundle."""
    return Words(
        "pip {} on Python {} does not read the OS trust store".format(
            target.pip.version if target.pip else "?", target.version
        ),
        "the OS store is used by pip >= 24.2 on Python >= 3.10 (truststore)",
        _truststore_fix(target, python_can),
    )


def _truststore_fix(target: Target, python_can: bool) -> str:
    """pip cannot reach its index yet: the bundle first, then (where it can help) the pip
    that reads the OS store, so the upgrade itself can be downloaded."""
    repair = commands.pipssl("repair")
    if not python_can:
        return (
            f"on Python {target.version} no pip reads the OS store; a bundle of pipssl's own "
            f"holds its roots:\n{repair}"
        )
    wanted = "pip>=" + ".".join(map(str, TRUSTSTORE_PIP))
    return f"{repair}\n# then, to have pip read the OS store itself from now on:\n" + commands.pip(
        target.executable, "install", "--upgrade", wanted
    )


def incomplete_chain(host: str, top: Certificate, where: str) -> Words:
    """incomplete-chain: the missing intermediate was fetched (AIA) and leads to pip's roots."""
    return Words(
        f"{shown(host)} does not send its intermediate certificate ({shown(top.issuer)})",
        f"{where}\nits issuer, fetched from {shown(top.ca_issuers[0])} "
        "(for diagnosis only), chains to a root "
        "pip trusts",
        "the server's owner must configure the full chain; meanwhile no safe "
        "client-side fix is needed beyond waiting or using another mirror",
    )


def unknown_issuer(
    host: str, anchor: str, product: str, top: Certificate, sent: int, where: str, fix: str
) -> Words:
    """untrusted-issuer-unknown: the CA the chain leads to (``anchor``), the interception
    product its name suggests (empty: none), and ``fix``, from :func:`trust_fix` or
    :func:`issuer_fix`; ``sent`` is how many certificates the server sent."""
    looks = f" - this looks like {product}, a TLS-intercepting product" if product else ""
    detail = f"{where}\nissuer: {shown(anchor)}{looks}"
    if top.self_issued:
        detail += f"\nsha256: {top.sha256}"
    elif sent == 1:
        detail += (
            "\nthe server sent only its own certificate; it may also be missing an intermediate"
        )
    return Words(
        "{}'s issuer is trusted nowhere on this machine{}".format(
            shown(host), f" ({product})" if product else ""
        ),
        detail,
        fix,
    )


# --- advice diagnosis and repair both give ----------------------------------------------


def unset_fix(value: pipconfig.Value, config: pipconfig.PipConfig, executable: str) -> str:
    """The exact way to remove the setting ``value``, from where it was made: ``pip config
    --<kind> unset`` only where that command edits this very file (it edits the last file
    of the kind, and cannot remove a [DEFAULT] line); otherwise which line to delete."""
    if value.kind == pipconfig.ENV_VAR:
        return unset_lines(value.name)
    section = "DEFAULT" if value.from_default else value.section
    flag = {"user": "--user", "global": "--global", "site": "--site"}.get(value.kind)
    edited = [f.path for f in config.files if f.kind == value.kind][-1:]
    if flag and not value.from_default and edited == [value.file]:
        return commands.pip(executable, "config", flag, "unset", f"{section}.{value.name}")
    return f"remove the line '{shown(value.name)}' from [{shown(section)}] in {shown(value.file)}"


def keep_pointed(name: str, bundle: str) -> str:
    """The lines that keep ``name`` set, pointed at pipssl's bundle ``bundle``."""
    return f"# or keep {name}, pointed at pipssl's bundle:\n{set_lines(name, bundle)}"


# --- what a repair plan says ------------------------------------------------------------


def bundle_written(consented: int, changes: str) -> str:
    """The write-bundle action: what the bundle holds, and how it differs from the old one
    (``changes``: empty for a new bundle or the same roots)."""
    cas = f"{consented} CA{'' if consented == 1 else 's'} consented to"
    what = f"pipssl's CA bundle (certifi + OS store + {cas})"
    return what + (f": {changes}" if changes else "")


def cert_set(bundle: str) -> str:
    return f"cert = {shown(bundle)} in [global]"


def cert_removed(value: pipconfig.Value) -> str:
    return f"remove broken {shown(value.where())}"


def cert_elsewhere(value: pipconfig.Value, unset: str, again: str) -> Words:
    """env-shadows-config: a ``cert`` that wins over pipssl's names another CA file; the
    user unsets it (``unset``) and gives its CAs to repair (``again``)."""
    return Words(
        f"{shown(value.where())} names another CA file and wins over pipssl's",
        f"cert = {shown(value.value)}",
        f"to have pip use pipssl's bundle, with that file's CAs in it:\n{unset}\n{again}",
    )


def trusted_host_removed(value: pipconfig.Value) -> str:
    return f"remove trusted-host from {shown(value.where())}"


def consents_recorded(count: int) -> str:
    return (
        f"the CAs you consented to: {count} ({commands.pipssl('forget', 'SHA256')} withdraws one)"
    )


def withdrawals_recorded(count: int) -> str:
    return f"the CAs you withdrew: {count} (they leave every bundle you rebuild)"

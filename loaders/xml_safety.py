"""Streaming XML reading that is safe against hostile input.

Bank files come from outside, so the parser never resolves entities, never
loads a DTD and never touches the network; a document that declares a DTD at
all is refused (ISO 20022 messages never carry one, and a DOCTYPE is how
billion-laughs and external-entity attacks start). Parse errors become
:class:`LoadError` with the line libxml2 reports.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

from lxml import etree

from cashmatch.loaders.errors import LoadError

# libxml2 reports undecodable UTF-8 with this wording; only then is a Latin-1
# retry worth it (any other syntax error would fail the same way again).
_BAD_ENCODING = ("Invalid bytes in character encoding", "not proper UTF-8", "Input is not proper")


def local_name(tag: object) -> str:
    """The tag without its ``{namespace}`` part ("" for comments and PIs).

    Example:
        >>> local_name("{urn:iso:std:iso:20022:tech:xsd:camt.053.001.02}Ntry")
        'Ntry'
    """
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def namespace(tag: str) -> str:
    """The ``{namespace}`` prefix of a Clark-notation tag, braces included ("" for none)."""
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


def _source(path: str, data: bytes | None) -> object:
    if data is not None:
        return io.BytesIO(data)
    if not os.path.isfile(path):
        raise LoadError(path, "no such file")
    return path


def secure_iterparse(
    path: str,
    data: bytes | None,
    *,
    tags: tuple[str, ...],
    events: tuple[str, ...] = ("end",),
    encoding: str | None = None,
) -> Iterator[tuple[str, etree._Element]]:
    """Stream ``(event, element)`` pairs for ``tags`` from a file or bytes, refusing DTDs.

    Args:
        path: the file (read from disk when ``data`` is None; named in errors).
        data: the document's bytes, or None to read ``path``.
        tags: Clark-notation tags to report; ``{*}Name`` matches any namespace.
        events: lxml iterparse events.
        encoding: override the document's declared encoding (Latin-1 retry).

    Raises:
        LoadError: a syntax error (with its line), a DOCTYPE, an unreadable file.
    """
    context = etree.iterparse(
        _source(path, data),
        events=events,
        tag=tags,
        encoding=encoding,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    checked = False
    try:
        for event, element in context:
            if not checked:
                refuse_dtd(path, element)
                checked = True
            yield event, element
        if not checked and context.root is not None:
            refuse_dtd(path, context.root)
    except etree.XMLSyntaxError as error:
        raise syntax_error(path, error) from None
    except etree.LxmlError as error:
        raise LoadError(path, f"cannot parse XML: {error}") from None
    except OSError as error:
        raise LoadError(path, f"cannot read: {error.strerror or error}") from None


def refuse_dtd(path: str, element: etree._Element) -> None:
    """Raise if the document of ``element`` declares a DOCTYPE (entity attacks)."""
    info = element.getroottree().docinfo
    if info.internalDTD is not None or info.externalDTD is not None or info.doctype:
        raise LoadError(
            path,
            "DOCTYPE declarations are not allowed in ISO 20022 files (entity expansion risk)",
            line=1,
        )


def syntax_error(path: str, error: etree.XMLSyntaxError) -> LoadError:
    """A LoadError naming the line of an XML syntax error (e.g. a truncated file)."""
    message = str(error.msg if getattr(error, "msg", None) else error).strip()
    # lxml appends ", line N, column M" which LoadError already says.
    message = message.split(", line ")[0] if ", line " in message else message
    return LoadError(path, f"XML syntax error: {message}", line=error.lineno or None)


def is_encoding_error(error: LoadError) -> bool:
    """Whether a syntax error came from bytes that are not valid in the declared encoding."""
    return any(marker in error.message for marker in _BAD_ENCODING)


def read_head(path: str, data: bytes | None, size: int = 4096) -> bytes:
    """The first ``size`` bytes of the file or data (for sniffing)."""
    if data is not None:
        return data[:size]
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError as error:
        raise LoadError(path, f"cannot read: {error.strerror or error}") from None

"""Bounds on what one call may send, so that no client can exhaust the server's memory.

Sizes are counted in bytes as decoded: the buffers an Arrow IPC stream
declares once decompressed (read from its metadata before anything is
inflated), a file's bytes, a Parquet file's uncompressed column data.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Input bounds of the service.

    Attributes:
        max_message_bytes: the largest single gRPC message either way (a chunk
            is at most :data:`CHUNK_BYTES`, well below).
        max_call_bytes: decoded bytes one streaming call may bring in all
            (Arrow buffers after decompression, or files).
        max_file_bytes: decoded bytes of one uploaded file.
        max_batch_rows: rows in one Arrow record batch.
        max_call_rows: rows of one table in one call.
        max_string_chars: characters in one string value.
        max_files_per_call: files in one UploadFiles call.
        max_allocations: invoices a person may pick in one correction.
    """

    max_message_bytes: int = 8 * MiB
    max_call_bytes: int = 256 * MiB
    max_file_bytes: int = 128 * MiB
    max_batch_rows: int = 100_000
    max_call_rows: int = 1_000_000
    max_string_chars: int = 4096
    max_files_per_call: int = 32
    max_allocations: int = 1000


# Size of the pieces Arrow IPC bytes and files are cut into on the wire.
CHUNK_BYTES = 1 * MiB

"""The generated protobuf modules import and the API follows the buf STANDARD style."""

from __future__ import annotations

import re
from pathlib import Path

from cashmatch.server._proto.cashmatch.v1 import cashmatch_pb2 as pb
from cashmatch.server._proto.cashmatch.v1 import cashmatch_pb2_grpc as pb_grpc

PROTO = Path(__file__).resolve().parents[2] / "proto" / "cashmatch" / "v1" / "cashmatch.proto"


def test_generated_modules_match_the_proto_source():
    assert pb.DESCRIPTOR.package == "cashmatch.v1"
    assert pb.DESCRIPTOR.name == "cashmatch/v1/cashmatch.proto"
    service = pb.DESCRIPTOR.services_by_name["CashMatchService"]
    source = PROTO.read_text()
    declared = re.findall(r"^\s*rpc (\w+)\(", source, flags=re.M)
    assert [m.name for m in service.methods] == declared and len(declared) == 11
    assert hasattr(pb_grpc, "CashMatchServiceStub")
    # Every message of the source is in the generated module (nothing stale).
    messages = set(re.findall(r"^message (\w+) \{", source, flags=re.M))
    assert messages == set(pb.DESCRIPTOR.message_types_by_name)


def test_buf_standard_naming():
    service = pb.DESCRIPTOR.services_by_name["CashMatchService"]
    assert service.name.endswith("Service")
    for method in service.methods:
        assert method.input_type.name == f"{method.name}Request"
        assert method.output_type.name == f"{method.name}Response"
    for enum in pb.DESCRIPTOR.enum_types_by_name.values():
        prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper() + "_"
        assert enum.values[0].number == 0 and enum.values[0].name == prefix + "UNSPECIFIED"
        assert all(v.name.startswith(prefix) for v in enum.values)
    for message in pb.DESCRIPTOR.message_types_by_name.values():
        for field in message.fields:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", field.name), field.name

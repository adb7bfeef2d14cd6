#!/usr/bin/env python3
"""Assess one organisation over gRPC and print its level, with no generated
code and no proto file: the messages come from the server's reflection
service (grpcio-reflection speaks v1alpha, which the server offers beside
v1).

    python3 -m venv .venv && .venv/bin/pip install grpcio grpcio-reflection protobuf
    .venv/bin/python examples/python/assess.py [HOST:PORT]

A refused call prints its status and the fields the google.rpc.BadRequest
details name (decoded through reflection too), and exits 1.
"""
import sys

import grpc
from google.protobuf import json_format, message_factory
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

ORGANISATION = {
    "model": "five_stage",
    "subjectId": "acme",
    "metrics": {
        "crm_in_place": {"flag": True},
        "crm_adoption": {"number": 0.6},
        "win_rate": {"number": 0.25},
    },
}


def main() -> int:
    target = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051"
    organisation = ORGANISATION
    if len(sys.argv) > 2:  # a crm_adoption value, e.g. 7 to see an error
        organisation = {**ORGANISATION, "metrics": {"crm_adoption": {"number": float(sys.argv[2])}}}
    channel = grpc.insecure_channel(target)
    pool = DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    method = pool.FindServiceByName("maturity.v1.MaturityService").FindMethodByName("Assess")
    request_type = message_factory.GetMessageClass(method.input_type)
    answer_type = message_factory.GetMessageClass(method.output_type)
    assess = channel.unary_unary(
        "/maturity.v1.MaturityService/Assess",
        request_serializer=request_type.SerializeToString,
        response_deserializer=answer_type.FromString,
    )
    request = json_format.ParseDict(organisation, request_type())
    try:
        answer = assess(request, timeout=10)
    except grpc.RpcError as error:
        print(f"{error.code().name}: {error.details()}", file=sys.stderr)
        for field in bad_request_fields(pool, error):
            print(f"  field {field}", file=sys.stderr)
        return 1
    print(
        f"{answer.subject_id}: level {answer.level.rank} {answer.level.name} "
        f"(ceiling {answer.ceiling.name}, score {answer.score:.2f}, "
        f"assessment {answer.assessment_id})"
    )
    return 0


def bad_request_fields(pool, error):
    """The fields a refused call's google.rpc.BadRequest names."""
    details = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    if not details:
        return []
    status = message_factory.GetMessageClass(pool.FindMessageTypeByName("google.rpc.Status"))()
    status.ParseFromString(details)
    bad_request_type = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("google.rpc.BadRequest")
    )
    fields = []
    for detail in status.details:
        if detail.type_url.endswith("/google.rpc.BadRequest"):
            bad_request = bad_request_type.FromString(detail.value)
            fields += [v.field for v in bad_request.field_violations]
    return fields


if __name__ == "__main__":
    sys.exit(main())

"""A protoc plugin that produces gRPC Python stubs with grpcio-tools.

grpcio-tools links its gRPC generator into its own protoc instead of
shipping a `protoc-gen-grpc_python` binary, so buf cannot call it directly.
This plugin bridges the two: it reads buf's CodeGeneratorRequest, hands the
same descriptors to grpcio-tools' protoc and returns the files it wrote.
"""

import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def generate(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorResponse:
    # grpcio-tools handles proto3 `optional`; say so, or buf warns and refuses to rely on it.
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL)
    with tempfile.TemporaryDirectory() as workdir:
        descriptor_set = Path(workdir) / "input.binpb"
        descriptor_set.write_bytes(
            descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString()
        )
        out_dir = Path(workdir) / "out"
        out_dir.mkdir()
        exit_code = protoc.main(
            [
                "protoc",
                f"--descriptor_set_in={descriptor_set}",
                f"--grpc_python_out={out_dir}",
                *request.file_to_generate,
            ]
        )
        if exit_code != 0:
            response.error = f"grpc_tools.protoc exited with {exit_code}"
            return response
        for path in sorted(out_dir.rglob("*.py")):
            generated = response.file.add()
            generated.name = str(path.relative_to(out_dir))
            generated.content = path.read_text()
    return response


def main() -> None:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    sys.stdout.buffer.write(generate(request).SerializeToString())


if __name__ == "__main__":
    main()

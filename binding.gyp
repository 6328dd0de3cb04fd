{
  "targets": [
    {
      "target_name": "fdpass_native",
      "sources": ["native/fdpass_native.c"],
      "cflags": ["-Wall", "-Wextra", "-O2", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"]
    }
  ]
}

// Marks the functions that form the library's public C ABI.
#pragma once
#define LMDB_API extern "C" __attribute__((visibility("default")))

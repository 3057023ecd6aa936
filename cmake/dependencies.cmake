# Finds every library of the stack (Debian packages; see ../shared/STACK.md) and
# exposes each as an imported target.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(OpenSSL REQUIRED)

# CAF 0.17.6: Debian ships neither a CMake config nor a .pc file.
if(NOT TARGET CAF::core)
  find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
  find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
  add_library(CAF::core SHARED IMPORTED)
  set_target_properties(CAF::core PROPERTIES
    IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endif()

# RocksDB: the shared library (RocksDB::rocksdb is a 32 MB static archive).
find_package(RocksDB CONFIG REQUIRED)

pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka++ rdkafka)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)

# cpprestsdk needs OpenSSL::Crypto on the link line (asio/ssl headers).
find_package(cpprestsdk CONFIG REQUIRED)

find_path(PG_QUERY_INCLUDE_DIR pg_query.h REQUIRED)
find_library(PG_QUERY_LIBRARY pg_query REQUIRED)
if(NOT TARGET pg_query::pg_query)
  add_library(pg_query::pg_query UNKNOWN IMPORTED)
  set_target_properties(pg_query::pg_query PROPERTIES
    IMPORTED_LOCATION "${PG_QUERY_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${PG_QUERY_INCLUDE_DIR}")
endif()

find_package(Xapian CONFIG REQUIRED)
if(NOT TARGET Xapian::xapian)
  add_library(Xapian::xapian INTERFACE IMPORTED)
  set_target_properties(Xapian::xapian PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${XAPIAN_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${XAPIAN_LIBRARIES}")
endif()

find_package(nlohmann_json 3.11 CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS unit_test_framework)

# toml11 (header-only): the configuration file format.
find_path(TOML11_INCLUDE_DIR toml.hpp REQUIRED)

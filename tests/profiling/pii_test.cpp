#define BOOST_TEST_MODULE profiling_pii
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/profiling/column_stats.hpp"
#include "actors/profiling/pii.hpp"

using namespace almanac::profiling;
using nlohmann::json;

BOOST_AUTO_TEST_CASE(e_mail_addresses) {
  for (auto yes : {"MARY.SMITH@sakilacustomer.org", "a.b+c@mail.example.co.uk", "x_y@d-e.io"})
    BOOST_CHECK_MESSAGE(looks_like_email(yes), yes);
  for (auto no : {"", "@example.com", "a@b", "a@b.c", "a b@example.com", "a@@example.com",
                  "a@example..com", "a@example.c0m", "plain text", "a@-x.com."})
    BOOST_CHECK_MESSAGE(!looks_like_email(no), no);
}

BOOST_AUTO_TEST_CASE(phone_numbers) {
  for (auto yes : {"14033335568", "+1 555 010 1234", "(555) 123-4567", "030.1234.5678",
                   " +49 30 1234567 "})
    BOOST_CHECK_MESSAGE(looks_like_phone(yes), yes);
  for (auto no : {"", "12345", "2024-01-31", "31.01.2024", "1/31/2024", "192.168.1.10",
                  "1234567.89", "2022-02-15 09:57:20+00", "-1234567", "12345678901234567",
                  "ACADEMY DINOSAUR", "A1234567"})
    BOOST_CHECK_MESSAGE(!looks_like_phone(no), no);
}

BOOST_AUTO_TEST_CASE(kinds_by_column_name) {
  auto kind = [](const char* table, const char* column) {
    return pii_kind_by_name(table, column).value_or("-");
  };
  BOOST_CHECK_EQUAL(kind("customer", "email"), "email");
  BOOST_CHECK_EQUAL(kind("t", "e_mail"), "email");
  BOOST_CHECK_EQUAL(kind("t", "contactEmail"), "email");
  BOOST_CHECK_EQUAL(kind("address", "phone"), "phone");
  BOOST_CHECK_EQUAL(kind("t", "mobile_number"), "phone");
  BOOST_CHECK_EQUAL(kind("customer", "first_name"), "name");
  BOOST_CHECK_EQUAL(kind("actor", "last_name"), "name");
  BOOST_CHECK_EQUAL(kind("t", "LastName"), "name");
  BOOST_CHECK_EQUAL(kind("t", "surname"), "name");
  BOOST_CHECK_EQUAL(kind("customer_list", "name"), "name"); // a table of people
  BOOST_CHECK_EQUAL(kind("category", "name"), "-");          // a name, not a person's
  BOOST_CHECK_EQUAL(kind("staff", "username"), "username");
  BOOST_CHECK_EQUAL(kind("address", "address"), "address");
  BOOST_CHECK_EQUAL(kind("address", "address2"), "address");
  BOOST_CHECK_EQUAL(kind("address", "postal_code"), "address");
  BOOST_CHECK_EQUAL(kind("staff_list", "zip code"), "address");
  BOOST_CHECK_EQUAL(kind("t", "ip_address"), "ip_address");
  BOOST_CHECK_EQUAL(kind("t", "ssn"), "national_id");
  BOOST_CHECK_EQUAL(kind("t", "tax_id"), "national_id");
  BOOST_CHECK_EQUAL(kind("t", "birth_date"), "birth_date");
  BOOST_CHECK_EQUAL(kind("t", "date_of_birth"), "birth_date");
  BOOST_CHECK_EQUAL(kind("t", "dob"), "birth_date");
  BOOST_CHECK_EQUAL(kind("staff", "password"), "credential");
  BOOST_CHECK_EQUAL(kind("t", "password_hash"), "credential");
  // Keys and counts of other rows, and ordinary columns.
  for (auto column : {"address_id", "customer_id", "email_count", "phone_type", "email_verified",
                      "title", "description", "length", "rental_date", "last_update", "district",
                      "amount", "fulltext"})
    BOOST_CHECK_MESSAGE(kind("t", column) == "-", column);
}

BOOST_AUTO_TEST_CASE(classification_by_name_then_content) {
  content_counts none;
  auto m = classify_pii("customer", "email", "string", none);
  BOOST_REQUIRE(m);
  BOOST_CHECK_EQUAL(m->kind, "email");
  BOOST_CHECK_EQUAL(m->reason, "name");
  BOOST_CHECK(!classify_pii("t", "email", "boolean", none)); // e.g. a flag
  BOOST_CHECK(!classify_pii("t", "notes", "string", none));
  m = classify_pii("t", "notes", "string", {10, 6, 0});
  BOOST_REQUIRE(m);
  BOOST_CHECK_EQUAL(m->kind, "email");
  BOOST_CHECK_EQUAL(m->reason, "content");
  m = classify_pii("t", "contact", "string", {10, 0, 9});
  BOOST_REQUIRE(m);
  BOOST_CHECK_EQUAL(m->kind, "phone");
  BOOST_CHECK(!classify_pii("t", "notes", "string", {10, 5, 0})); // half is not most
}

BOOST_AUTO_TEST_CASE(redaction_keeps_counts_and_lengths) {
  column_stats s;
  for (auto v : {"ann@example.com", "bob@example.com", "ann@example.com"})
    s.add(v);
  s.add(nullptr);
  BOOST_CHECK_EQUAL(s.content().strings, 3u);
  BOOST_CHECK_EQUAL(s.content().emails, 3u);
  auto p = s.profile();
  redact_raw_values(p);
  BOOST_CHECK_EQUAL(p["top_values"], json::array());
  BOOST_CHECK(p["min"].is_null() && p["max"].is_null());
  BOOST_CHECK_EQUAL(p["histogram"]["of"], "length");
  BOOST_CHECK_EQUAL(p["row_count"], 4);
  BOOST_CHECK_EQUAL(p["null_count"], 1);
  BOOST_CHECK_EQUAL(p["distinct_count"], 2);
  BOOST_CHECK_EQUAL(p["length"]["max"], 15);
  BOOST_CHECK(p.dump().find("example") == std::string::npos);
  column_stats numbers;
  for (int i = 0; i < 5; ++i)
    numbers.add(5550000 + i);
  auto q = numbers.profile();
  redact_raw_values(q);
  BOOST_CHECK(q["histogram"].is_null()); // its bounds are values
  BOOST_CHECK(q["mean"].is_null());
  BOOST_CHECK_EQUAL(q["distinct_count"], 5);
}

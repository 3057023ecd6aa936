#include "messages/message_types.hpp"

#include "messages/catalog_messages.hpp"
#include "messages/events.hpp"
#include "messages/job_messages.hpp"

#include <caf/actor_system_config.hpp>

#include <string>
#include <vector>

namespace almanac {

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<event_input>("almanac.event_input");
  cfg.add_message_type<std::vector<event_input>>("std::vector<almanac.event_input>");
  cfg.add_message_type<event_record>("almanac.event_record");
  cfg.add_message_type<std::vector<event_record>>("std::vector<almanac.event_record>");
  cfg.add_message_type<append_ack>("almanac.append_ack");
  cfg.add_message_type<desired_entity>("almanac.desired_entity");
  cfg.add_message_type<std::vector<desired_entity>>("std::vector<almanac.desired_entity>");
  cfg.add_message_type<sync_reply>("almanac.sync_reply");
  cfg.add_message_type<json_body>("almanac.json_body");
  cfg.add_message_type<register_reply>("almanac.register_reply");
  cfg.add_message_type<edit_reply>("almanac.edit_reply");
  cfg.add_message_type<remove_reply>("almanac.remove_reply");
  cfg.add_message_type<token_reply>("almanac.token_reply");
  cfg.add_message_type<revoke_reply>("almanac.revoke_reply");
  cfg.add_message_type<job_submitted>("almanac.job_submitted");
  cfg.add_message_type<job_result>("almanac.job_result");
  cfg.add_message_type<job_view>("almanac.job_view");
  cfg.add_message_type<std::vector<job_view>>("std::vector<almanac.job_view>");
  cfg.add_message_type<schedule_view>("almanac.schedule_view");
  cfg.add_message_type<std::vector<schedule_view>>("std::vector<almanac.schedule_view>");
}

} // namespace almanac

export type { ConfigError, NotificationConfig, TargetConfig, TriggerConfig, TriggerName } from "./config.js";
export { NOTIFICATIONS_CONFIGMAP, parseNotificationConfig, formatConfigError, TRIGGERS } from "./config.js";
export type { DeliveryItem, DeliveryResult, OutgoingRequest, Sender } from "./delivery.js";
export { DeliveryQueue } from "./delivery.js";
export { httpSender } from "./http.js";
export type { NotifierStats } from "./notifier.js";
export { Notifier } from "./notifier.js";
export type { ConfigSource, ResolvedConfig, ResolvedTarget } from "./source.js";
export { notificationConfigSource } from "./source.js";

CREATE TABLE `rooms` (
	`app_id` varchar(32) NOT NULL,
	`room_id` int NOT NULL,
	`name` varchar(255) NOT NULL,
	`cover_img` varchar(1024) NOT NULL,
	`share_img` varchar(1024) NOT NULL,
	`feeds_img` varchar(1024) NOT NULL DEFAULT '',
	`live_status` smallint NOT NULL,
	`start_time` datetime(3) NOT NULL,
	`end_time` datetime(3) NOT NULL,
	`anchor_name` varchar(255) NOT NULL,
	`anchor_img` varchar(1024),
	`live_type` tinyint NOT NULL DEFAULT 0,
	`close_like` boolean NOT NULL DEFAULT false,
	`close_goods` boolean NOT NULL DEFAULT false,
	`close_comment` boolean NOT NULL DEFAULT false,
	`close_kf` boolean NOT NULL DEFAULT false,
	`close_replay` boolean NOT NULL DEFAULT false,
	`is_feeds_public` boolean NOT NULL DEFAULT false,
	`creater_openid` varchar(128) NOT NULL DEFAULT '',
	`goods` json NOT NULL,
	`replays` json NOT NULL,
	`content_hash` varchar(64) NOT NULL,
	`pinned` boolean NOT NULL DEFAULT false,
	`replays_checked_at` datetime(3),
	`replays_first_checked_at` datetime(3),
	`archived_at` datetime(3),
	`created_at` datetime(3) NOT NULL,
	`updated_at` datetime(3) NOT NULL,
	CONSTRAINT `rooms_app_id_room_id_pk` PRIMARY KEY(`app_id`,`room_id`)
);
--> statement-breakpoint
CREATE TABLE `sync_runs` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`app_id` varchar(32) NOT NULL,
	`trigger` enum('cron','admin','cli') NOT NULL,
	`outcome` enum('running','succeeded','failed') NOT NULL,
	`started_at` datetime(3) NOT NULL,
	`finished_at` datetime(3),
	`rooms_added` int NOT NULL DEFAULT 0,
	`rooms_updated` int NOT NULL DEFAULT 0,
	`rooms_archived` int NOT NULL DEFAULT 0,
	`rooms_restored` int NOT NULL DEFAULT 0,
	`replays_fetched` int NOT NULL DEFAULT 0,
	`list_calls` int NOT NULL DEFAULT 0,
	`replay_calls` int NOT NULL DEFAULT 0,
	`token_calls` int NOT NULL DEFAULT 0,
	`error_code` varchar(64),
	`wechat_errcode` int,
	`error_message` varchar(1024),
	CONSTRAINT `sync_runs_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE INDEX `rooms_listing_idx` ON `rooms` (`app_id`,`archived_at`,`pinned`,`start_time`,`room_id`);--> statement-breakpoint
CREATE INDEX `rooms_status_listing_idx` ON `rooms` (`app_id`,`archived_at`,`live_status`,`pinned`,`start_time`,`room_id`);--> statement-breakpoint
CREATE INDEX `sync_runs_app_started_idx` ON `sync_runs` (`app_id`,`started_at`);
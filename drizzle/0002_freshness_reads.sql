ALTER TABLE `sync_runs` MODIFY COLUMN `trigger` enum('cron','admin','cli','planner') NOT NULL;--> statement-breakpoint
ALTER TABLE `rooms` ADD `synced_at` datetime(3);--> statement-breakpoint
ALTER TABLE `sync_runs` ADD `kind` enum('full','targeted','replays') DEFAULT 'full' NOT NULL;--> statement-breakpoint
CREATE INDEX `sync_runs_app_kind_outcome_idx` ON `sync_runs` (`app_id`,`kind`,`outcome`,`finished_at`);
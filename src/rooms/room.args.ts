import { ArgsType, Field, Int } from 'type-graphql';

import { AppError } from '../errors.js';
import { LiveStatus } from './room.mapper.js';

export const MAX_PAGE_SIZE = 100;
/** Rows skipped at most: far beyond any app's room count, and it keeps offsets sane for MySQL. */
export const MAX_OFFSET = 1_000_000;

@ArgsType()
export class RoomsArgs {
  @Field(() => Int, {
    nullable: true,
    defaultValue: 1,
    description: `1-based; a page past the last one is empty; (page - 1) × pageSize at most ${MAX_OFFSET.toLocaleString('en-US')}`,
  })
  page!: number;

  @Field(() => Int, { nullable: true, defaultValue: 10, description: `1 to ${MAX_PAGE_SIZE}` })
  pageSize!: number;

  @Field(() => [LiveStatus], { nullable: true, description: 'Only rooms in these states' })
  status?: LiveStatus[] | null;
}

/** Throws BAD_USER_INPUT naming the argument when paging is out of range. */
export function assertValidPaging(args: RoomsArgs): void {
  if (!Number.isInteger(args.page) || args.page < 1) {
    throw new AppError('BAD_USER_INPUT', `page must be 1 or more (got ${args.page})`);
  }
  if (!Number.isInteger(args.pageSize) || args.pageSize < 1 || args.pageSize > MAX_PAGE_SIZE) {
    throw new AppError(
      'BAD_USER_INPUT',
      `pageSize must be between 1 and ${MAX_PAGE_SIZE} (got ${args.pageSize})`,
    );
  }
  const offset = (args.page - 1) * args.pageSize;
  if (offset > MAX_OFFSET) {
    throw new AppError(
      'BAD_USER_INPUT',
      `page is too deep: (page - 1) × pageSize must not exceed ${MAX_OFFSET} (got ${offset})`,
    );
  }
}
/** WeChat room ids are positive integers; anything else is a client mistake, not a lookup. */
export function assertRoomId(roomId: number): void {
  if (!Number.isInteger(roomId) || roomId < 1) {
    throw new AppError('BAD_USER_INPUT', `roomId must be a positive integer (got ${roomId})`);
  }
}

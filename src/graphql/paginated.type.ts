import { Field, Int, ObjectType, type ClassType } from 'type-graphql';

/** One generic page type, as in type-graphql's generic-types example: `XPage` for any item type. */
export function Paginated<Item extends object>(itemClass: ClassType<Item>) {
  @ObjectType()
  abstract class PageClass {
    @Field(() => [itemClass])
    items!: Item[];

    @Field(() => Int, { description: 'Items matching the query, on every page' })
    totalCount!: number;

    @Field(() => Int, { description: '1-based page number' })
    page!: number;

    @Field(() => Int)
    pageSize!: number;
  }
  return PageClass;
}

import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({
  description: "Today's getliveinfo quota (China calendar day), as counted by the service",
})
export class Quota {
  @Field(() => String, { description: 'China calendar day, YYYY-MM-DD' })
  date!: string;

  @Field(() => Int)
  used!: number;

  @Field(() => Int)
  limit!: number;

  @Field(() => Int)
  remaining!: number;
}

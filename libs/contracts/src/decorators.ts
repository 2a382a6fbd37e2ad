/** Composes property decorators (the Nest-free equivalent of @nestjs/common's applyDecorators). */
export function applyDecorators(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target: object, propertyKey: string | symbol) => {
    for (const decorator of decorators) decorator(target, propertyKey);
  };
}

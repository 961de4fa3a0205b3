# One image for every Fencewatch role: `collector`, `processor`, `sandbox`, `audit`, `remediate`.
#   docker build -t fencewatch:0.1.0 .
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -ntp -DskipTests package

FROM eclipse-temurin:17-jre
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin fencewatch
COPY --from=build /src/cli/target/dist/lib /app/lib
USER 10001
EXPOSE 8080
ENTRYPOINT ["java", "-cp", "/app/lib/*", "io.fencewatch.cli.Fencewatch"]
CMD ["--help"]

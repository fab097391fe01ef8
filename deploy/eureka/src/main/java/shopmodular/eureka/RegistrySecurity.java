package shopmodular.eureka;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Every change to the registry (register, renew, cancel, status, metadata) needs the Basic user of
 * spring.security.user.name/password (SPRING_SECURITY_USER_NAME/PASSWORD); reads stay open, as in the development
 * registry, so Prometheus' eureka_sd needs no credentials. Eureka clients post without a CSRF token: CSRF protection
 * is for browsers' form posts and is off under /eureka/.
 */
@Configuration
public class RegistrySecurity {
  @Bean
  SecurityFilterChain registry(HttpSecurity http) throws Exception {
    http.csrf(csrf -> csrf.ignoringRequestMatchers("/eureka/**"))
        .authorizeHttpRequests(requests -> requests
            .requestMatchers(HttpMethod.GET, "/eureka/**", "/actuator/health").permitAll()
            .anyRequest().authenticated())
        .httpBasic(Customizer.withDefaults());
    return http.build();
  }
}
